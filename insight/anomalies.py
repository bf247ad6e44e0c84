"""The volume-anomaly method: pure functions over a list of daily counts, no database.

A day is judged against the same weekday of the weeks before it: the
expected count is the median of up to `HISTORY_WEEKS` of them (at least
`MIN_HISTORY_WEEKS`, never days before the first ticket). How far a day may
stray is learnt from the same weeks: each of their days is compared with
its own weekday's median on a log scale, and the median absolute deviation
of those log ratios (scaled to a standard deviation) is the day-to-day
noise. Medians, not means, so the spikes and drops being looked for do not
bend the baseline or widen the band. The noise never goes below what a
Poisson count of the expected size has, and it is widened for estimating the
median from few weeks.

The score is the day's log ratio to the expected count in units of that
noise; a day is anomalous when the score is beyond `THRESHOLD` either way.
`low`/`high` are the counts where the score crosses it. `THRESHOLD` was
chosen with `python manage.py insight_backtest` for at most one false alarm
per 100 ordinary days on overdispersed, seasonal, trending series.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

HISTORY_WEEKS = 8
MIN_HISTORY_WEEKS = 3
THRESHOLD = 3.5
# Counts are compared as log(count + 1), so that a zero day has a ratio too.
OFFSET = 1.0
# 1.4826 × MAD estimates a standard deviation for normal noise.
MAD_TO_SD = 1.4826
# A floor on the noise: no band narrower than ±5% × THRESHOLD, however regular the history.
MIN_NOISE = 0.05


@dataclass(frozen=True)
class Judgement:
    """How one day's count compares with what its weekday's history expects."""

    expected: float
    low: float
    high: float
    score: float
    anomalous: bool

    def as_row(self) -> dict:
        """The `expected`, `low`, `high`, `score` and `anomalous` keys of an answer's row, rounded."""
        return {
            "expected": round(self.expected, 1),
            "low": round(self.low, 1),
            "high": round(self.high, 1),
            "score": round(self.score, 2),
            "anomalous": self.anomalous,
        }


def history(counts: Sequence[int], index: int, first: int) -> list[int]:
    """The counts of the same weekday in up to HISTORY_WEEKS weeks before `index`, none before `first`."""
    return [counts[index - 7 * week] for week in range(1, HISTORY_WEEKS + 1) if index - 7 * week >= first]


def noise(counts: Sequence[int], index: int, first: int) -> float | None:
    """The typical log ratio of a day to its weekday's median, over the weeks before `index`.

    Every day of the HISTORY_WEEKS weeks before `index` (none before `first`)
    is compared with the median of its own weekday in those weeks; weekdays
    with fewer than MIN_HISTORY_WEEKS days are left out. Returns the median
    absolute deviation of the pooled ratios, as a standard deviation, or None
    when no weekday has enough days.
    """
    start = max(first, index - 7 * HISTORY_WEEKS)
    ratios: list[float] = []
    for weekday_start in range(start, min(start + 7, index)):
        values = [counts[day] for day in range(weekday_start, index, 7)]
        if len(values) < MIN_HISTORY_WEEKS:
            continue
        center = math.log(median(values) + OFFSET)
        ratios.extend(math.log(value + OFFSET) - center for value in values)
    if not ratios:
        return None
    middle = median(ratios)
    return MAD_TO_SD * median(abs(ratio - middle) for ratio in ratios)


def judge(
    counts: Sequence[int], index: int, first: int, *, share: float = 1.0, threshold: float = THRESHOLD
) -> Judgement | None:
    """Judge `counts[index]`, or None without MIN_HISTORY_WEEKS of history since `first` (the first day).

    `share` is the part of a typical day's tickets that has arrived so far
    (1.0 for a finished day; less for today, from the hourly profile): the
    expected count and its band are scaled to it.
    """
    if index < first:
        return None
    weeks = history(counts, index, first)
    if len(weeks) < MIN_HISTORY_WEEKS:
        return None
    spread = noise(counts, index, first) or 0.0
    expected = median(weeks) * share
    # Poisson noise of a count of `expected`, on the log(count + 1) scale.
    poisson = math.sqrt(expected) / (expected + OFFSET)
    # A median of k weeks is itself uncertain: its variance is about π/2k of one week's.
    scale = max(spread, poisson, MIN_NOISE) * math.sqrt(1 + math.pi / (2 * len(weeks)))
    score = (math.log(counts[index] + OFFSET) - math.log(expected + OFFSET)) / scale
    low = max(0.0, (expected + OFFSET) * math.exp(-threshold * scale) - OFFSET)
    high = (expected + OFFSET) * math.exp(threshold * scale) - OFFSET
    return Judgement(expected, low, high, score, abs(score) > threshold)
