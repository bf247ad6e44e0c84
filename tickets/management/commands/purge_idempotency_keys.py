"""`purge_idempotency_keys`: forget the Idempotency-Keys older than 24 hours (for a daily cron job).

Expired keys are already ignored, and each user's are purged when that user
sends a new key; this removes those of users who did not come back.
"""

from django.core.management.base import BaseCommand

from tickets import idempotency


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours."

    def handle(self, *args, **options):
        deleted = idempotency.purge_expired()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
