"""`manage.py seed_demo`: users, realistic deterministic tickets, refusal in production."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory

from automation.models import AutomationLog
from dashboard.tests.factories import recounted, summary
from tickets.models import Ticket, TicketEvent
from tickets.tests.stored import nothing_stored, stored_state

pytestmark = pytest.mark.django_db


def seed(settings, **options):
    settings.DEBUG = True
    call_command("seed_demo", **options)


def snapshot():
    return list(
        Ticket.objects.order_by("id").values_list(
            "id", "title", "description", "status", "priority", "assigned_to", "created_at"
        )
    )


def test_it_creates_the_three_demo_logins(settings):
    seed(settings, tickets=0)
    for username, staff in (("admin", True), ("analyst", True), ("support", False)):
        user = authenticate(RequestFactory().post("/accounts/login/"), username=username, password="demo")
        assert user is not None
        assert user.is_staff is staff
        assert user.groups.get().name == username
    assert get_user_model().objects.get(username="admin").is_superuser


def test_it_makes_a_believable_mix(settings):
    seed(settings, tickets=300, days=30, seed=7)
    assert Ticket.objects.count() == 300
    statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    priorities = dict(Ticket.objects.values_list("priority").annotate(n=Count("id")))
    assert set(statuses) == {"open", "in_progress", "closed"}
    assert set(priorities) == {"low", "medium", "high"}
    # High tickets close within hours, so most were routed to the Senior Analyst and closed since.
    assert Ticket.objects.filter(priority="high", assigned_to="Senior Analyst").exists()
    assert Ticket.objects.filter(priority="low", assigned_to="SupportBot").exists()


def test_seeded_tickets_keep_every_business_rule(settings):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.invariants import breaks_assignment_rule

    seed(settings, tickets=400, days=90, seed=3)
    window = timezone.now() - timedelta(days=settings.TRIAGE_STATUS_WINDOW_DAYS)
    for ticket in Ticket.objects.all():
        assert ticket.updated_at >= ticket.created_at
        assert not breaks_assignment_rule(ticket.state())
        if ticket.status == "closed":
            assert ticket.updated_at >= window
        if ticket.priority == "high" and ticket.status != "closed":
            assert ticket.assigned_to != ""


def test_the_same_seed_gives_the_same_tickets(settings):
    seed(settings, tickets=50, seed=42, no_users=True)
    first = [row[1:6] for row in snapshot()]
    Ticket.objects.all().delete()
    seed(settings, tickets=50, seed=42, no_users=True)
    assert [row[1:6] for row in snapshot()] == first
    Ticket.objects.all().delete()
    seed(settings, tickets=50, seed=43, no_users=True)
    assert [row[1:6] for row in snapshot()] != first


def test_worker_processes_give_the_same_tickets_as_one(settings, transactional_db):
    seed(settings, tickets=120, seed=5, no_users=True, batch_size=25, workers=1)
    one = [row[1:6] for row in snapshot()]
    Ticket.objects.all().delete()
    seed(settings, tickets=120, seed=5, no_users=True, batch_size=25, workers=2)
    assert [row[1:6] for row in snapshot()] == one


def test_seeded_tickets_carry_an_audit_trail_and_rule_log(settings):
    seed(settings, tickets=60, seed=1, no_users=True)
    assert TicketEvent.objects.filter(kind="created").count() == 60
    assert TicketEvent.objects.filter(source="seed").values("ticket_id").distinct().count() == 60
    rule_events = TicketEvent.objects.filter(actor_type="rule").count()
    assert rule_events == AutomationLog.objects.count() > 0


def test_it_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", tickets=5)
    assert stored_state() == nothing_stored()
    assert not get_user_model().objects.filter(username="admin").exists()


def test_force_runs_it_anyway(settings):
    settings.DEBUG = False
    call_command("seed_demo", tickets=5, force=True, no_users=True)
    assert list(Ticket.objects.values_list("source", flat=True)) == ["seed"] * 5
    created = TicketEvent.objects.filter(kind="created").values_list("ticket_id", "source")
    assert sorted(created) == [(pk, "seed") for pk in sorted(Ticket.objects.values_list("id", flat=True))]
    assert summary() == recounted() and sum(summary().values()) == 5


def test_if_empty_leaves_an_existing_database_alone(settings):
    seed(settings, tickets=5, no_users=True)
    before = stored_state()
    seed(settings, tickets=5, no_users=True, if_empty=True)
    assert Ticket.objects.count() == 5
    assert stored_state() == before


def test_it_leaves_the_planner_statistics_of_the_data_it_made(settings):
    seed(settings, tickets=120, no_users=True)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'tickets_created_idx'")
        else:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'tickets_created_idx'")
        (stat,) = cursor.fetchone()
    assert str(stat).split()[0] == "120"  # rows the planner believes the table (and index) holds
