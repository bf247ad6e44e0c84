"""`python manage.py export_rules > rules.json`: every rule as JSON, in position order, without ids."""

import json

from django.core.management.base import BaseCommand

from automation.services import rule_json, rules_for_json

EXPORT_VERSION = 1


class Command(BaseCommand):
    help = 'Print every rule as {"version": 1, "rules": [...]} (position order, no ids), for import_rules.'

    def handle(self, *args, **options):
        document = {
            "version": EXPORT_VERSION,
            "rules": [rule_json(r, with_id=False) for r in rules_for_json()],
        }
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
