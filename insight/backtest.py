"""The honest backtest of both insight methods, on synthetic data made from a seed.

- **Anomalies**: synthetic daily series (`insight.synthetic`) are judged day
  by day exactly as the product judges them, at the threshold it ships;
  recall is counted on the injected days, false alarms on all the others.
- **Resolution time**: demo tickets (`tickets.demo`, the generator behind
  `seed_demo`) are turned into what training sees (closed tickets of
  nearly-closed weekly cohorts, at a fixed "now"), then the model and the
  baseline are compared on the newest part, as `train_insight` does.

The same seed always gives the same figures.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from insight import anomalies, resolution, training
from insight.synthetic import make_series

# A fixed "now" for the synthetic tickets, so their local hours and weekdays never depend on the clock.
BACKTEST_NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
# Days of history before the first injected anomaly: the weeks the method needs, and its noise window.
QUIET_DAYS = 7 * anomalies.HISTORY_WEEKS


@dataclass
class AnomalyBacktest:
    """Recall per injected factor, and false alarms on ordinary days, at one threshold."""

    threshold: float
    series: int
    ordinary_days: int = 0
    false_alarms: int = 0
    injected: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)

    @property
    def false_alarms_per_100_days(self) -> float:
        return 100 * self.false_alarms / self.ordinary_days if self.ordinary_days else 0.0

    def recall(self, factors) -> float:
        """The share of injected days with these factors that were flagged."""
        injected = sum(self.injected[factor] for factor in factors)
        return sum(self.found[factor] for factor in factors) / injected if injected else 0.0


def backtest_anomalies(
    *, seed: int, series: int = 300, days: int = 240, threshold: float = anomalies.THRESHOLD
) -> AnomalyBacktest:
    """Judge every day after the quiet weeks of `series` synthetic series of `days` days."""
    rng = np.random.default_rng(seed)
    result = AnomalyBacktest(threshold, series)
    for _ in range(series):
        made = make_series(rng, days=days, quiet_days=QUIET_DAYS)
        for day in range(QUIET_DAYS, days):
            judgement = anomalies.judge(made.counts, day, 0, threshold=threshold)
            if judgement is None:
                continue
            factor = made.injected.get(day)
            if factor is None:
                result.ordinary_days += 1
                result.false_alarms += judgement.anomalous
            else:
                result.injected[factor] += 1
                result.found[factor] += judgement.anomalous
    return result


def demo_examples(*, seed: int, tickets: int, days: int) -> list[resolution.Example]:
    """Closed demo tickets of nearly-closed weekly cohorts, as training would read them from the database."""
    from tickets.demo import DemoData

    data = DemoData(seed=seed, days=days, total=tickets, now=BACKTEST_NOW, closed_window_days=10 * days)
    made = data.batch(0, tickets)
    bounds = training.cohort_bounds(BACKTEST_NOW)
    totals, closed = [0] * len(bounds), [0] * len(bounds)
    for demo in made:
        position = (BACKTEST_NOW - demo.created_at).days // training.COHORT_DAYS
        if position < len(bounds):
            totals[position] += 1
            closed[position] += is_closed(demo)
    eligible = set(training.eligible_cohorts(totals, closed))
    return [
        resolution.Example(
            demo.created_at,
            demo.priority,
            demo.later.get("assigned_to", ""),
            "seed",
            demo.title,
            (demo.later_at - demo.created_at).total_seconds() / 3600,
        )
        for demo in made
        if is_closed(demo) and (BACKTEST_NOW - demo.created_at).days // training.COHORT_DAYS in eligible
    ]


def is_closed(demo) -> bool:
    return bool(demo.later) and demo.later.get("status") == "closed"


def backtest_predictions(*, seed: int, tickets: int = 60_000, days: int = 120) -> resolution.Comparison:
    """The model against the per-priority baseline on the newest demo tickets (time-ordered hold-out)."""
    return resolution.compare(demo_examples(seed=seed, tickets=tickets, days=days))
