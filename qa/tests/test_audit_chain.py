"""The audit_chain check finds a trail rewritten around the append-only triggers, and names the row."""

import json
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from qa.audit_chain import broken_links
from qa.registry import CHECKS
from qa.runner import run_regression
from qa.tests.log_validation import assert_logs_valid
from tickets.append_only import install_sql, remove_sql, run_sql
from tickets.events import expected_hash
from tickets.models import TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list) -> None:
    """Change ticket_events as an attacker with database access would: triggers off, write, triggers on."""
    run_sql(connection, remove_sql(connection.vendor, "ticket_events"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    run_sql(connection, install_sql(connection.vendor, "ticket_events"))


def findings():
    return CHECKS["audit_chain"].function()


@pytest.fixture
def trail():
    ticket = TicketFactory(priority="medium")
    ticket.priority = "high"
    ticket.save()  # created, updated, and the rule's escalation
    return ticket, list(TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id"))


def test_an_intact_trail_passes(trail):
    result = findings()
    assert (result.violations, result.examples) == (0, [])


def test_an_edited_event_is_found_by_its_hash(trail):
    ticket, events = trail
    tamper("UPDATE ticket_events SET actor_name = %s WHERE id = %s", ["someone else", events[1].pk])
    result = findings()
    assert result.violations == 1
    assert result.examples[0].ticket_id == ticket.pk
    assert f"event #{events[1].pk}: its content does not match its hash" == result.examples[0].reason


def test_a_removed_event_breaks_the_link_of_the_next_one(trail):
    ticket, events = trail
    tamper("DELETE FROM ticket_events WHERE id = %s", [events[1].pk])
    result = findings()
    assert result.violations == 1
    assert result.examples[0].reason.startswith(
        f"event #{events[2].pk}: its link to the previous event is broken"
    )


def test_a_rehashed_event_breaks_the_next_link(trail):
    ticket, events = trail
    tamper("UPDATE ticket_events SET hash = %s WHERE id = %s", ["0" * 64, events[0].pk])
    reasons = [violation.reason for violation in findings().examples]
    assert f"event #{events[0].pk}: its content does not match its hash" in reasons
    assert any(reason.startswith(f"event #{events[1].pk}: its link") for reason in reasons)


def test_the_window_limits_the_links_verified_to_the_newest_events(trail, settings):
    _, events = trail
    tamper("DELETE FROM ticket_events WHERE id = %s", [events[0].pk])  # now events[1] links to nothing
    left = len(events) - 1

    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left - 1
    assert findings().violations == 0  # events[1] is just outside the window
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left
    assert findings().violations == 1
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left + 10  # more than there are
    assert findings().violations == 1
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0  # the whole trail
    assert findings().violations == 1


def test_a_long_broken_run_in_one_ticket_hides_no_other_ticket(settings):
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0
    tickets = TicketFactory.create_batch(3, priority="medium")
    for ticket in tickets:
        for priority in ("high", "low", "medium") * 40:  # 120 updates each, a link apiece
            ticket.priority = priority
            ticket.save()
    tamper("UPDATE ticket_events SET prev_hash = %s", ["f" * 64])  # every link broken

    total, examples = broken_links()
    assert total == TicketEvent.objects.count()  # every event counted,
    assert [example.ticket_id for example in examples] == [t.pk for t in tickets]  # one example per ticket
    first_events = [TicketEvent.objects.filter(ticket_id=t.pk).order_by("id")[0].pk for t in tickets]
    assert [example.reason.split(":")[0] for example in examples] == [f"event #{pk}" for pk in first_events]


def test_a_clean_window_costs_two_queries_and_the_whole_trail_one(trail, settings, django_assert_num_queries):
    with django_assert_num_queries(2):  # where the window starts, then its broken links (none: no count)
        assert broken_links() == (0, [])
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0
    with django_assert_num_queries(1):
        assert broken_links() == (0, [])


def test_a_run_with_several_findings_on_one_ticket_logs_it_once_and_validates(trail, tmp_path):
    ticket, events = trail
    tamper("UPDATE ticket_events SET hash = %s WHERE id = %s", ["0" * 64, events[0].pk])
    report = run_regression(["audit_chain"], log_dir=tmp_path)

    (check,) = report.checks
    assert check.findings.violations >= 2  # the edited event, and the next one's link
    assert json.loads(report.log_file.read_text())["checks"][0]["ids"] == [ticket.pk]
    assert assert_logs_valid(tmp_path) == 1


# --- Keys: an edit cannot be re-signed without the key, old events are unkeyed -------------------


def forge_unkeyed(event: TicketEvent, **content) -> None:
    """Rewrite an event as an attacker without the key would: new content, a plain SHA-256 recomputed
    over it (the only hash one can compute without the key), and no key id."""
    for name, value in content.items():
        setattr(event, name, value)
    event.key_id = None
    event.hash = expected_hash(event)  # unkeyed: the plain SHA-256
    tamper(
        "UPDATE ticket_events SET actor_name = %s, hash = %s, key_id = NULL WHERE id = %s",
        [event.actor_name, event.hash, event.pk],
    )


def plant_legacy_event(ticket_id: int, prev_hash: str = "") -> TicketEvent:
    """An event as the trail held them before audit keys existed: a plain SHA-256, no key id."""
    event = TicketEvent(
        ticket_id=ticket_id, save_id=uuid.uuid4(), kind="created", actor_type="system",
        actor_name="system", source="system", changes={"title": [None, "Old"]},
        created_at=timezone.now(), prev_hash=prev_hash, key_id=None,
    )  # fmt: skip
    event.hash = expected_hash(event)
    event.save()
    return event


def test_an_event_rehashed_without_the_key_is_found_as_forged(trail):
    ticket, events = trail
    forge_unkeyed(events[2], actor_name="someone else")  # the newest: no later link to break
    result = findings()
    assert result.violations == 1
    assert result.examples[0].ticket_id == ticket.pk
    assert "carries no key, but was written after events were keyed (forged)" in result.examples[0].reason


def test_an_event_signed_with_a_key_that_is_not_configured_cannot_be_verified(trail, settings):
    ticket, events = trail
    settings.TRIAGE_AUDIT_KEYS = [("k2", b"a new key that signs from now on")]
    result = findings()
    assert result.violations == len(events)
    assert result.examples[0].reason == (
        f"event #{events[0].pk}: signed with key 'test', which is not configured"
    )


def test_after_a_rotation_old_and_new_events_verify(trail, settings):
    ticket, _ = trail
    settings.TRIAGE_AUDIT_KEYS = [("k2", b"a new key that signs from now on"), *settings.TRIAGE_AUDIT_KEYS]
    ticket.title = "Signed with k2"
    ticket.save()
    assert TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id").last().key_id == "k2"
    result = findings()
    assert (result.violations, result.notes) == (0, [])


def test_events_from_before_the_keys_are_a_note_not_a_violation(settings):
    legacy = plant_legacy_event(ticket_id=987_001)
    plant_legacy_event(ticket_id=987_001, prev_hash=legacy.hash)
    TicketFactory()  # keyed from here on
    result = findings()
    assert result.violations == 0
    assert result.notes == [
        "2 events written before audit keys existed (unkeyed): their links are checked, but anyone "
        "able to write the table could have re-hashed them"
    ]


def test_an_edited_legacy_event_is_still_found_by_its_plain_hash():
    legacy = plant_legacy_event(ticket_id=987_002)
    tamper("UPDATE ticket_events SET actor_name = %s WHERE id = %s", ["someone else", legacy.pk])
    result = findings()
    assert result.violations == 1
    assert result.examples[0].reason == f"event #{legacy.pk}: its content does not match its hash"


def test_the_notes_reach_the_run_log(tmp_path):
    plant_legacy_event(ticket_id=987_003)
    TicketFactory()
    report = run_regression(["audit_chain"], log_dir=tmp_path)
    (check,) = json.loads(report.log_file.read_text())["checks"]
    assert check["passed"] is True and check["notes"][0].startswith("1 event written before")
    assert assert_logs_valid(tmp_path) == 1
