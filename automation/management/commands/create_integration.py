"""`manage.py create_integration NAME [--kind KIND] [--secret S]`: make an integration or re-key it."""

import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from automation.integrations import SecretError, integration_save_secret
from automation.models import INTEGRATION_NAME_PATTERN, Integration, IntegrationKind


class Command(BaseCommand):
    help = (
        "Create an integration, or give an existing one a new secret, and print the secret (alone on "
        "standard output, so scripts can capture it): the signing secret, or Alertmanager's bearer token."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name", help="The integration's name (unique; letters, digits, - and _: it is part of its URL)."
        )
        parser.add_argument(
            "--kind",
            choices=IntegrationKind.values,
            help="What sends to it: standard (POST /webhook/ticket, the default for a new integration), "
            "alertmanager, github or pagerduty (POST /webhook/<kind>/<name>). An existing integration "
            "keeps its kind.",
        )
        parser.add_argument(
            "--secret",
            help="Use this secret instead of a random one: whsec_<base64> (24-64 byte key) for standard, "
            "a bearer token (16+ characters, no spaces) for alertmanager, any string for github and "
            "pagerduty (PagerDuty makes its own: paste the one it shows).",
        )

    def handle(self, *args, name, kind, secret, **options):
        name = name.strip()
        max_length = Integration._meta.get_field("name").max_length
        if not name or len(name) > max_length:
            raise CommandError(f"NAME must be 1 to {max_length} characters.")
        if not re.match(INTEGRATION_NAME_PATTERN, name):
            raise CommandError(
                "NAME may hold only letters, digits, - and _ (it is part of the sender's URL)."
            )
        try:
            integration, created = integration_save_secret(name=name, kind=kind, secret=secret)
        except SecretError as error:
            raise CommandError(f"--secret is not a valid secret: {error}") from None
        except ValueError as error:
            raise CommandError(f"--kind: {error}; leave --kind out to re-key it.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if created:
            self.stderr.write(f"Created {integration.kind} integration {integration.name!r} (active).")
        else:
            state = "active" if integration.active else "INACTIVE: its deliveries are refused"
            self.stderr.write(
                f"Rotated the secret of {integration.kind} integration {integration.name!r} ({state})."
            )
        self.stderr.write(f"Its sender posts to {integration.path}.")
        what = "bearer token" if integration.kind == IntegrationKind.ALERTMANAGER else "secret"
        self.stderr.write(f"Give the sender this {what}; it is not shown again:")
        self.stdout.write(integration.secret)
