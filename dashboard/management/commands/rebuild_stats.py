"""`python manage.py rebuild_stats`: recompute the dashboard summary from the tickets."""

import time

from django.core.management.base import BaseCommand

from dashboard import stats


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's summary table from the tickets (set-based, one transaction). "
        "Run it after changing TIME_ZONE, or when the regression suite reports a disagreement."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, database, **options):
        started = time.monotonic()
        buckets = stats.rebuild(using=database)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the dashboard summary: {buckets:,} buckets in {elapsed:.1f} s.")
        )
