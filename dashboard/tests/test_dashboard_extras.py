"""The dashboard's template filters (dashboard.js writes ages the same way)."""

import datetime

import pytest
from django.utils import timezone

from dashboard.templatetags.dashboard_extras import assignee_label, days, moment, short_age, status_label

NOW = datetime.datetime(2026, 3, 14, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "ago, text",
    [
        (datetime.timedelta(seconds=30), "just now"),
        (datetime.timedelta(minutes=12), "12 min"),
        (datetime.timedelta(hours=5, minutes=59), "5 h"),
        (datetime.timedelta(hours=47), "47 h"),
        (datetime.timedelta(days=3, hours=2), "3 d"),
        (-datetime.timedelta(minutes=5), "just now"),  # a clock a little ahead
    ],
)
def test_short_age(ago, text):
    assert short_age(NOW - ago, NOW) == text


def test_median_days():
    assert days(None) == "—"
    assert days(1.0) == "1 day"
    assert days(3.5) == "3.5 days"
    assert days(0.0) == "0 days"


def test_labels():
    assert status_label("in_progress") == "In progress"
    assert assignee_label("") == "Unassigned"
    assert assignee_label("Dana") == "Dana"


def test_moment_is_shown_in_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    timezone.deactivate()
    assert moment("2026-03-14T07:01:00+00:00") == "2026-03-14 08:01"
    assert moment("not a time") == "not a time"
