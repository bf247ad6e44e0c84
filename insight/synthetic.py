"""Synthetic daily ticket counts with known anomalies, for the anomaly backtest.

Each series has a level (10 to 1,000 tickets a day), a weekly profile (quiet
weekends, uneven weekdays), a trend (from -30% to +60% a year) and
overdispersed noise: counts are negative binomial, whose variance
`mean + mean² / dispersion` is well above a Poisson count's. Anomalies are
injected on a few days after the first weeks: spikes (the day's count times
1.6 to 3) and drops (times 0.1 to 0.5). Everything comes from one seeded
generator, so a seed always gives the same series.
"""

from dataclasses import dataclass

import numpy as np

SPIKE_FACTORS = (1.6, 2.0, 3.0)
DROP_FACTORS = (0.5, 0.3, 0.1)


@dataclass(frozen=True)
class Series:
    """One synthetic history: its daily counts and which days were made anomalous (day index: factor)."""

    counts: list[int]
    injected: dict[int, float]
    level: float
    dispersion: float


def make_series(
    rng: np.random.Generator, *, days: int, quiet_days: int, anomaly_rate: float = 0.03
) -> Series:
    """A series of `days` days; no anomaly in the first `quiet_days` (the history the method needs)."""
    level = float(np.exp(rng.uniform(np.log(10), np.log(1000))))
    weekdays = rng.uniform(0.85, 1.15, size=7)
    weekend = rng.uniform(0.25, 0.8)
    start = int(rng.integers(7))
    for day in (5, 6):  # Saturday and Sunday of the profile
        weekdays[(day - start) % 7] *= weekend
    growth = rng.uniform(-0.3, 0.6)  # per year
    dispersion = float(np.exp(rng.uniform(np.log(15), np.log(200))))
    index = np.arange(days)
    means = level * weekdays[index % 7] * (1 + growth) ** (index / 365)
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + means))
    injected: dict[int, float] = {}
    for day in range(quiet_days, days):
        if rng.random() < anomaly_rate:
            factors = SPIKE_FACTORS if rng.random() < 0.5 else DROP_FACTORS
            factor = float(factors[rng.integers(len(factors))])
            injected[day] = factor
            counts[day] = rng.binomial(counts[day], factor) if factor < 1 else round(counts[day] * factor)
    return Series([int(count) for count in counts], injected, level, dispersion)
