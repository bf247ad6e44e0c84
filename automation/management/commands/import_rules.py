"""`python manage.py import_rules FILE [--dry-run] [--prune]`: rules from a file, by name, as one change.

Each rule in the file is created, or updated in place when a rule of that
name exists (its id kept); an unchanged rule is not written. With `--prune`,
rules not in the file are deleted. Every rule is validated (as the API and
the admin do) before anything is written; `--dry-run` prints what would
happen and writes nothing.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from automation.api.serializers import RuleSerializer
from automation.management.commands.export_rules import EXPORT_VERSION
from automation.models import Rule
from automation.services import changed_keys, normalized, rule_delete, rule_save, rules_for_json


class Command(BaseCommand):
    help = "Create or update rules by name from an export_rules file; --prune deletes the others."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A file written by export_rules (`-` for standard input).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; write nothing.")
        parser.add_argument("--prune", action="store_true", help="Delete rules that are not in the file.")

    def handle(self, *args, file, dry_run=False, prune=False, **options):
        documents = self.read(file)
        stored = {rule.name: rule for rule in rules_for_json()}
        plan, problems = [], []
        for number, document in enumerate(documents, 1):
            name = str(document.get("name", "")).strip() if isinstance(document, dict) else ""
            serializer = RuleSerializer(stored.get(name), data=document)
            if not serializer.is_valid():
                problems.append(f"rule {number} ({name or 'no name'}): {json.dumps(serializer.errors)}")
                continue
            data = serializer.validated_data
            rule = stored.get(data["name"])
            if rule is None:
                plan.append(("create", data["name"], None, data, []))
            elif keys := changed_keys(rule, data):
                plan.append(("change", data["name"], rule, data, keys))
        names = [str(d.get("name", "")).strip() for d in documents if isinstance(d, dict)]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            problems.append(f"names used more than once: {', '.join(repeated)}")
        if problems:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(problems))
        if prune:
            plan += [("delete", name, rule, None, []) for name, rule in stored.items() if name not in names]
        for verb, name, _, _, keys in plan:
            self.stdout.write(f"{verb} {name}" + (f" ({', '.join(keys)})" if keys else ""))
        if dry_run:
            self.stdout.write(f"Dry run: {len(plan)} changes, nothing written.")
            return
        with transaction.atomic():
            for verb, _, rule, data, _ in plan:
                if verb == "delete":
                    rule_delete(rule)
                else:
                    rule_save(rule=rule, data=normalized(data))
        self.stdout.write(f"{len(plan)} changes written; {Rule.objects.count()} rules.")

    def read(self, file: str) -> list:
        try:
            if file == "-":
                import sys

                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
            document = json.loads(text)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        if not isinstance(document, dict) or document.get("version") != EXPORT_VERSION:
            raise CommandError(
                f'{file} is not an export: expected {{"version": {EXPORT_VERSION}, "rules": [...]}}.'
            )
        if not isinstance(document.get("rules"), list):
            raise CommandError(f'{file}: "rules" must be a list.')
        return document["rules"]
