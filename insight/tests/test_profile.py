"""The hourly profile: how much of a typical day's volume has come by now."""

import datetime

import pytest
from django.utils import timezone

from insight import profile
from insight.tests.factories import daily_history, local_midnight

pytestmark = pytest.mark.django_db


def test_an_empty_history_gives_an_even_day():
    now = local_midnight(datetime.date(2026, 3, 4)) + datetime.timedelta(hours=6)
    assert profile.share_of_day(now) == pytest.approx(0.25)


def test_the_share_follows_the_hours_tickets_came_in():
    today = datetime.date(2026, 3, 4)
    days = {today - datetime.timedelta(days=back): 40 for back in range(1, 8)}
    daily_history(days, hour=9)  # every ticket of the last week came between 9 and 10
    before, after = (local_midnight(today) + datetime.timedelta(hours=h) for h in (9, 10))
    assert profile.share_of_day(before) < 0.05
    assert profile.share_of_day(after) > 0.9
    halfway = profile.share_of_day(local_midnight(today) + datetime.timedelta(hours=9, minutes=30))
    assert profile.share_of_day(before) < halfway < profile.share_of_day(after)


def test_tickets_of_today_and_of_older_weeks_do_not_count():
    today = datetime.date(2026, 3, 4)
    daily_history({today: 50, today - datetime.timedelta(days=9): 50}, hour=3)
    assert profile.hourly_counts(today) == [0] * 24


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York"])
def test_hours_are_local_hours(settings, zone):
    settings.TIME_ZONE = zone
    today = datetime.date(2026, 3, 4)
    daily_history({today - datetime.timedelta(days=1): 5}, hour=14)
    counts = profile.hourly_counts(today)
    assert counts[14] == 5 and sum(counts) == 5


def test_the_profile_is_counted_once_per_hour(django_assert_num_queries):
    now = timezone.now()
    profile.share_of_day(now)
    with django_assert_num_queries(0):
        profile.share_of_day(now)
