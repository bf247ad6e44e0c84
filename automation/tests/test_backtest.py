"""Replaying a rule over recent tickets as they were proposed when created, writing nothing."""

import datetime

import pytest
from django.utils import timezone

from automation.backtest import NotBacktestable, backtest_rule, fields_read, proposals_since
from automation.engine import Action, Condition, RuleSpec
from automation.models import AutomationLog
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import create_tickets, update_tickets

pytestmark = pytest.mark.django_db


def rule(*conditions, actions=(Action("assigned_to", "Dana"),), **options) -> RuleSpec:
    return RuleSpec(id=99, name="Candidate", conditions=tuple(conditions), actions=tuple(actions), **options)


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def stored_rows() -> tuple[int, int, int]:
    return Ticket.objects.count(), TicketEvent.objects.count(), AutomationLog.objects.count()


def test_it_replays_the_values_the_creator_proposed_not_the_current_ones():
    (changed,) = create_tickets({"title": "Was low", "priority": "low", "created_at": ago(2)})
    update_tickets((changed, {"priority": "medium"}))
    create_tickets({"title": "Medium all along", "priority": "medium", "created_at": ago(1)})
    result = backtest_rule(
        rule(Condition("priority", "is", "low"), actions=(Action("priority", "high"),)), days=7
    )
    assert result == {
        "examined": 2,
        "would_fire": 1,
        "changes": {"priority": {"low -> high": 1}},
        "notifications": {},
        "examples": [changed.pk],
    }


def test_it_sees_tickets_as_they_were_before_any_rule_ran():
    # The high-priority rule assigned the Senior Analyst on create; the creator proposed nobody.
    (ticket,) = create_tickets({"title": "Outage", "priority": "high", "created_at": ago(1)})
    assert Ticket.objects.get(pk=ticket.pk).assigned_to == "Senior Analyst"
    result = backtest_rule(rule(Condition("assigned_to", "is_empty")), days=3)
    assert result["would_fire"] == 1 and result["changes"] == {"assigned_to": {" -> Dana": 1}}


def test_only_tickets_created_in_the_window_are_examined_newest_first():
    old, *recent = create_tickets(
        {"title": "Old", "created_at": ago(10)},
        {"title": "Two days", "created_at": ago(2)},
        {"title": "Yesterday", "created_at": ago(1)},
    )
    result = backtest_rule(rule(), days=5)
    assert result["examined"] == 2 and result["examples"] == [recent[1].pk, recent[0].pk]
    assert backtest_rule(rule(), days=30)["examined"] == 3


def test_it_writes_nothing():
    create_tickets(*({"title": f"T{n}", "created_at": ago(1)} for n in range(5)))
    before = stored_rows()
    assert backtest_rule(rule(), days=3)["would_fire"] == 5
    assert stored_rows() == before
    assert not Ticket.objects.filter(assigned_to="Dana").exists()


def test_examples_stop_at_twenty():
    create_tickets(*({"title": f"T{n}", "created_at": ago(1)} for n in range(25)))
    result = backtest_rule(rule(), days=3)
    assert result["would_fire"] == 25 and len(result["examples"]) == 20


def test_a_firing_that_would_break_the_business_rule_does_not_count():
    create_tickets({"title": "Low, nobody on it", "priority": "low", "created_at": ago(1)})
    result = backtest_rule(rule(actions=(Action("status", "in_progress"),)), days=3)
    # The seed rule would give it to SupportBot, a bot: in progress is refused either way.
    assert result["examined"] == 1 and result["would_fire"] == 0


def test_a_disabled_rule_is_replayed_all_the_same():
    create_tickets({"title": "Anything", "created_at": ago(1)})
    assert backtest_rule(rule(enabled=False), days=3)["would_fire"] == 1


def test_a_rule_that_sets_nothing_new_does_not_fire():
    create_tickets({"title": "Already Dana's", "assigned_to": "Dana", "created_at": ago(1)})
    assert backtest_rule(rule(), days=3)["would_fire"] == 0


@pytest.mark.parametrize("trigger", ["update"])
def test_rules_not_triggered_on_create_cannot_be_backtested(trigger):
    with pytest.raises(NotBacktestable) as refused:
        backtest_rule(rule(trigger=trigger), days=3)
    assert refused.value.field == "trigger"


@pytest.mark.parametrize("days", [0, 366, -5])
def test_days_must_be_from_1_to_365(days):
    with pytest.raises(NotBacktestable) as refused:
        backtest_rule(rule(), days=days)
    assert refused.value.field == "days"


def test_only_the_fields_a_rule_looks_at_are_read_the_others_are_empty():
    (ticket,) = create_tickets(
        {"title": "Disk full", "description": "A long story", "priority": "low", "created_at": ago(1)}
    )
    candidate = rule(Condition("title", "contains", "disk"), actions=(Action("priority", "high"),))
    assert fields_read(candidate) == ("title", "status", "priority", "assigned_to")
    window = (ago(2), timezone.now())
    ((ticket_id, everything),) = proposals_since(*window)
    ((_, read),) = proposals_since(*window, fields=fields_read(candidate))
    assert ticket_id == ticket.pk and everything["description"] == "A long story"
    assert read == {**everything, "description": "", "external_id": "", "external_url": ""}
    assert (read["title"], read["priority"], read["assigned_to"]) == ("Disk full", "low", "")
    with pytest.raises(ValueError, match="not ticket fields"):
        list(proposals_since(*window, fields=("colour",)))
