"""`python manage.py insight_backtest`: how well the anomaly method and the resolution model do, honestly."""

from django.core.management.base import BaseCommand, CommandError

from insight import anomalies, backtest, reporting


class Command(BaseCommand):
    help = (
        "Backtest the volume-anomaly method (recall on injected spikes and drops, false alarms per 100 "
        "ordinary days) and the resolution-time model (pinball loss against the per-priority baseline, "
        "p90 coverage) on synthetic data; the same seed gives the same figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--series", type=int, default=300, help="Synthetic daily series (default 300).")
        parser.add_argument("--days", type=int, default=240, help="Days per series (default 240).")
        parser.add_argument(
            "--tickets", type=int, default=60_000, help="Demo tickets for the predictions (default 60,000)."
        )

    def handle(self, *args, seed, series, days, tickets, **options):
        if series < 1 or days <= backtest.QUIET_DAYS or tickets < 1:
            raise CommandError(f"--series and --tickets must be >= 1, --days > {backtest.QUIET_DAYS}.")
        self.stdout.write(
            f"Volume anomalies: {series} synthetic series of {days} days (seed {seed}): weekly seasonality, "
            "trend, negative binomial noise; spikes and drops injected on 3% of days"
        )
        result = backtest.backtest_anomalies(
            seed=seed, series=series, days=days, threshold=anomalies.THRESHOLD
        )
        for line in reporting.anomaly_lines(result):
            self.stdout.write(line)
        self.stdout.write(
            f"Resolution time: {tickets:,} demo tickets over 120 days (seed {seed}), model against the "
            "per-priority baseline on a time-ordered hold-out"
        )
        comparison = backtest.backtest_predictions(seed=seed, tickets=tickets)
        for line in reporting.comparison_lines(comparison.as_dict()):
            self.stdout.write(line)
