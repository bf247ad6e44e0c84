"""The anomaly method itself: expected counts, the band, the score, and when a day is not judged."""

import pytest

from insight import anomalies
from insight.anomalies import judge

WEEK = [100, 110, 105, 95, 90, 30, 25]


def weeks(count: int, pattern=WEEK) -> list[int]:
    return list(pattern) * count


def test_a_day_is_expected_at_the_median_of_its_weekday_and_is_not_anomalous():
    counts = weeks(8) + [WEEK[0]]
    result = judge(counts, len(counts) - 1, 0)
    assert result.expected == WEEK[0]
    assert result.low < WEEK[0] < result.high
    assert result.score == pytest.approx(0)
    assert not result.anomalous


def test_a_spike_beyond_the_band_is_anomalous_with_a_positive_score():
    counts = weeks(8) + [300]
    result = judge(counts, len(counts) - 1, 0)
    assert result.anomalous and result.score > anomalies.THRESHOLD
    assert result.high < 300


def test_a_drop_below_the_band_is_anomalous_with_a_negative_score():
    counts = weeks(8) + [20]
    result = judge(counts, len(counts) - 1, 0)
    assert result.anomalous and result.score < -anomalies.THRESHOLD
    assert result.low > 20


def test_a_day_with_less_than_three_weeks_of_history_is_not_judged():
    counts = weeks(2) + [500]
    assert judge(counts, len(counts) - 1, 0) is None
    assert judge(weeks(3) + [500], 21, 0) is not None


def test_days_before_the_first_ticket_are_neither_judged_nor_history():
    counts = [0] * 14 + weeks(3) + [WEEK[0]]
    assert judge(counts, 10, 14) is None
    # Only the three weeks since the first ticket count: the zeros before it do not drag the median down.
    assert judge(counts, len(counts) - 1, 14).expected == WEEK[0]


def test_an_earlier_spike_does_not_move_the_expected_count_or_widen_the_band_much():
    calm = weeks(8) + [WEEK[0]]
    stormy = list(calm)
    stormy[7 * 3] = 1000  # one Monday three weeks ago
    before, after = judge(calm, len(calm) - 1, 0), judge(stormy, len(stormy) - 1, 0)
    assert after.expected == before.expected
    assert after.high == pytest.approx(before.high, rel=0.1)


def test_the_band_is_never_narrower_than_poisson_noise():
    counts = weeks(8, [10] * 7) + [10]
    result = judge(counts, len(counts) - 1, 0)
    assert result.high - result.low > 10  # a perfectly regular history still leaves Poisson room
    assert not judge(weeks(8, [10] * 7) + [18], 56, 0).anomalous


def test_a_share_of_the_day_scales_the_expected_count_and_its_band():
    counts = weeks(8) + [50]
    half = judge(counts, len(counts) - 1, 0, share=0.5)
    assert half.expected == pytest.approx(WEEK[0] / 2)
    assert not half.anomalous
    assert judge(counts, len(counts) - 1, 0).anomalous


def test_the_row_is_rounded_for_the_answer():
    row = judge(weeks(8) + [101], 56, 0).as_row()
    assert set(row) == {"expected", "low", "high", "score", "anomalous"}
    assert row["score"] == round(row["score"], 2)
