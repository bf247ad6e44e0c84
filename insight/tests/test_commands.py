"""`insight_backtest` and `train_insight`: what they print, and that the backtest is reproducible."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from insight.models import ResolutionModel
from insight.tests.test_training import history


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_backtest_prints_recall_false_alarms_baseline_and_coverage_as_percentages():
    output = run("insight_backtest", "--series", "30", "--tickets", "6000")
    assert re.search(r"false alarms: \d+\.\d\d per 100 ordinary days", output)
    assert re.search(r"recall on spikes: \d+\.\d%", output) and re.search(
        r"recall on drops: \d+\.\d%", output
    )
    baseline = [line for line in output.splitlines() if "baseline" in line and "%" in line]
    assert any("pinball loss" in line for line in baseline)
    assert re.search(r"p90 coverage on the hold-out: \d+\.\d%", output)


def test_the_same_seed_gives_the_same_figures_and_another_seed_others():
    first = run("insight_backtest", "--series", "10", "--tickets", "3000", "--seed", "4")
    assert run("insight_backtest", "--series", "10", "--tickets", "3000", "--seed", "4") == first
    assert run("insight_backtest", "--series", "10", "--tickets", "3000", "--seed", "5") != first


def test_bad_sizes_are_refused():
    with pytest.raises(CommandError, match="--days"):
        run("insight_backtest", "--days", "10")


@pytest.mark.django_db
def test_train_insight_prints_the_comparison_and_stores_the_winner():
    history(timezone.now())
    output = run("train_insight", "--in-process")
    assert "trained from 120 closed tickets" in output and "baseline" in output and "coverage" in output
    assert f"stored model #{ResolutionModel.objects.get().pk} (baseline)" in output


@pytest.mark.django_db
def test_train_insight_says_when_there_is_too_little_history():
    output = run("train_insight", "--in-process")
    assert "Too little history" in output and "nothing stored" in output
    assert ResolutionModel.objects.count() == 0
