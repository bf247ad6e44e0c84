"""`manage.py rebuild_stats` recomputes the summary from the tickets."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.models import TicketCount
from dashboard.tests.factories import at, disagreements, recounted, summary, ticket_at

pytestmark = pytest.mark.django_db


def rebuild() -> str:
    out = io.StringIO()
    call_command("rebuild_stats", stdout=out)
    return out.getvalue()


def test_it_repairs_a_summary_that_drifted():
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-01"), priority="high")
    TicketCount.objects.filter(priority="high").delete()
    TicketCount.objects.filter(priority="medium").update(count=9)
    TicketCount.objects.create(day=datetime.date(2026, 1, 1), status="open", priority="low", count=4)
    assert "Rebuilt the dashboard summary: 2 buckets" in rebuild()
    assert (
        summary()
        == recounted()
        == {
            (datetime.date(2026, 3, 1), "open", "medium", ""): 1,
            (datetime.date(2026, 3, 1), "in_progress", "high", "Senior Analyst"): 1,
        }
    )


def test_it_leaves_one_row_per_bucket():
    for _ in range(3):
        ticket_at(at("2026-03-01"))
    assert TicketCount.objects.count() == 3  # each write appended its own row
    rebuild()
    assert list(TicketCount.objects.values_list("count", flat=True)) == [3]


def test_after_a_time_zone_change_it_moves_tickets_to_their_new_days(settings):
    ticket_at(at("2026-03-01", 23, 30))
    assert summary() == {(datetime.date(2026, 3, 1), "open", "medium", ""): 1}
    settings.TIME_ZONE = "Asia/Tokyo"
    timezone.deactivate()
    assert disagreements()  # the stored days are UTC days until rebuilt
    rebuild()
    assert summary() == {(datetime.date(2026, 3, 2), "open", "medium", ""): 1}


def test_on_an_empty_database_it_empties_the_summary():
    TicketCount.objects.create(day=datetime.date(2026, 1, 1), status="open", priority="low", count=4)
    assert "0 buckets" in rebuild()
    assert TicketCount.objects.count() == 0
