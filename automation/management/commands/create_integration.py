"""`manage.py create_integration NAME [--secret whsec_...]`: make an integration or rotate its secret."""

from django.core.management.base import BaseCommand, CommandError

from automation.models import Integration
from automation.signatures import SecretError
from automation.webhook import integration_save_secret


class Command(BaseCommand):
    help = (
        "Create a webhook integration, or give an existing one a new secret, and print the secret "
        "(alone on standard output, so scripts can capture it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The integration's name (unique).")
        parser.add_argument(
            "--secret", help="Use this whsec_<base64> secret (24-64 byte key) instead of a random one."
        )

    def handle(self, *args, name, secret, **options):
        name = name.strip()
        max_length = Integration._meta.get_field("name").max_length
        if not name or len(name) > max_length:
            raise CommandError(f"NAME must be 1 to {max_length} characters.")
        try:
            integration, created = integration_save_secret(name=name, secret=secret)
        except SecretError as error:
            raise CommandError(f"--secret is not a valid secret: {error}") from None
        if created:
            self.stderr.write(f"Created integration {integration.name!r} (active).")
        else:
            state = "active" if integration.active else "INACTIVE: its deliveries are refused"
            self.stderr.write(f"Rotated the secret of integration {integration.name!r} ({state}).")
        self.stderr.write("Give the sender this secret; it is not shown again:")
        self.stdout.write(integration.secret)
