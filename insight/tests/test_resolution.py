"""The resolution-time predictors, pure: the baseline, the model, and how they are compared."""

import datetime
import json
import random

import pytest

from insight import resolution
from insight.resolution import Baseline, Example, LogLinear, compare, predictor_from

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def examples(count: int, *, seed: int = 1) -> list[Example]:
    """Tickets whose titles say how long they take: bugs take 8x as long as access requests."""
    rnd = random.Random(seed)
    made = []
    for n in range(count):
        priority = rnd.choice(["low", "medium", "high"])
        kind = rnd.choice(["access", "bug"])
        hours = {"low": 40, "medium": 10, "high": 2}[priority] * (4 if kind == "bug" else 0.5)
        made.append(
            Example(
                START + datetime.timedelta(hours=n),
                priority,
                "",
                "api",
                f"{kind} report {n}",
                hours * rnd.lognormvariate(0, 0.5),
            )
        )
    return made


def test_the_baseline_holds_the_median_and_90th_percentile_per_priority():
    baseline = Baseline.fit([Example(START, "low", "", "api", "x", float(h)) for h in range(1, 101)])
    assert baseline.quantiles == {"low": [pytest.approx(50.5), pytest.approx(90.1)]}
    assert baseline.predict(START, "low", "", "api", "y") == (pytest.approx(50.5), pytest.approx(90.1))


def test_a_priority_with_too_few_tickets_gets_no_baseline():
    few = [Example(START, "high", "", "api", "x", 1.0)] * (resolution.MIN_PER_PRIORITY - 1)
    assert Baseline.fit(few).predict(START, "high", "", "api", "x") is None


def test_the_model_beats_the_baseline_when_the_title_tells_and_its_p90_covers_about_90_percent():
    comparison = compare(examples(4000))
    assert comparison.model.pinball_p50 < comparison.baseline.pinball_p50
    assert comparison.model.pinball_p90 < comparison.baseline.pinball_p90
    assert 0.85 <= comparison.model.coverage_p90 <= 0.95
    assert comparison.model_wins
    assert comparison.holdout == 800 and comparison.examples == 4000


def test_the_hold_out_is_the_newest_tickets():
    made = examples(1000)
    shuffled = random.Random(3).sample(made, len(made))
    assert compare(shuffled).as_dict() == compare(made).as_dict()


def test_with_few_tickets_only_the_baseline_is_tried():
    comparison = compare(examples(200))
    assert comparison.model is None and comparison.baseline is not None
    assert not comparison.model_wins


def test_when_the_model_cannot_beat_the_baseline_it_is_not_shipped():
    # Hours depend on the priority alone: the model has nothing to add, and is not ahead at both quantiles.
    rnd = random.Random(2)
    noise = [
        Example(
            START + datetime.timedelta(hours=n), p, "", "api", f"word{n % 7} x", 10 * rnd.lognormvariate(0, 1)
        )
        for n, p in enumerate(["low", "medium", "high"] * 700)
    ]
    comparison = compare(noise)
    assert comparison.model is not None
    if comparison.model_wins:  # a fluke is possible, but then it really won on the hold-out
        assert comparison.model.pinball_p50 < comparison.baseline.pinball_p50


def test_predictors_are_stored_as_json_and_come_back_the_same():
    made = examples(2000)
    for predictor in (Baseline.fit(made), LogLinear.fit(made[:1500], made[1500:])):
        stored = json.loads(json.dumps(predictor.parameters()))
        again = predictor_from(predictor.kind, stored)
        ticket = (START, "medium", "", "api", "bug in checkout")
        assert again.predict(*ticket) == predictor.predict(*ticket)


def test_the_model_predicts_p50_below_p90_and_longer_for_bugs():
    model = LogLinear.fit(examples(3000)[:2500], examples(3000)[2500:])
    bug = model.predict(START, "medium", "", "api", "bug report")
    access = model.predict(START, "medium", "", "api", "access report")
    assert 0 < bug[0] <= bug[1] and 0 < access[0] <= access[1]
    assert bug[0] > 4 * access[0]
