"""`python manage.py train_insight`: train the resolution-time predictor from closed tickets and store it."""

from django.core.management.base import BaseCommand, CommandError

from insight import reporting, training


class Command(BaseCommand):
    help = (
        "Train the resolution-time model from closed tickets (in a child process), compare it with the "
        "per-priority baseline on a time-ordered hold-out, and store the winner; every process serves it "
        "within a minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--in-process", action="store_true", help="Train in this process instead of a child process."
        )

    def handle(self, *args, in_process, **options):
        try:
            report = training.train_and_store() if in_process else training.train_in_child_process()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Resolution time, trained from {report.examples:,} closed tickets:")
        for line in reporting.comparison_lines(report.comparison):
            self.stdout.write(line)
        for note in report.notes:
            self.stdout.write(f"  {note}")
        where = "this process" if in_process else "a child process"
        self.stdout.write(
            f"Trained in {report.seconds:.1f} s in {where}, peak memory {report.peak_mb:.0f} MB"
            + (
                f"; stored model #{report.model_id} ({report.stored})."
                if report.model_id
                else "; nothing stored."
            )
        )
