"""What an event does to a stored ticket, decided without a database; senders' text made storable."""

import pytest

from intake.events import (
    ACKNOWLEDGED,
    AFTER_SENDER_CLOSED,
    ALWAYS,
    CLOSED,
    NEVER,
    OPEN,
    AlertEvent,
    cut,
    link_or_empty,
    new_ticket,
    storable,
    ticket_changes,
)


def ticket(**values) -> dict:
    return {
        "title": "Disk full", "description": "", "status": "open", "priority": "medium", "assigned_to": "",
        "external_id": "fp1", "external_url": "", **values,
    }  # fmt: skip


def test_a_repeat_of_what_the_sender_said_changes_nothing():
    firing = AlertEvent("fp1", OPEN, reopens=AFTER_SENDER_CLOSED)
    assert ticket_changes(firing, ticket(), OPEN) == {}
    assert ticket_changes(AlertEvent("fp1", CLOSED), ticket(status="closed"), CLOSED) == {}


def test_closing_closes_a_ticket_that_is_not_closed():
    for status in ("open", "in_progress"):
        assert ticket_changes(AlertEvent("fp1", CLOSED), ticket(status=status), OPEN) == {"status": "closed"}


@pytest.mark.parametrize(
    "reopens, sender_state, reopened",
    [
        (AFTER_SENDER_CLOSED, CLOSED, True),  # firing after the sender's own resolved
        (AFTER_SENDER_CLOSED, OPEN, False),  # a person closed it while the alert kept firing
        (ALWAYS, OPEN, True),  # GitHub's and PagerDuty's explicit reopened
        (ALWAYS, CLOSED, True),
        (NEVER, CLOSED, False),  # a creation seen again
    ],
)
def test_a_closed_ticket_reopens_only_when_the_sender_says_so(reopens, sender_state, reopened):
    event = AlertEvent("fp1", OPEN, reopens=reopens)
    assert ticket_changes(event, ticket(status="closed"), sender_state) == (
        {"status": "open"} if reopened else {}
    )


@pytest.mark.parametrize(
    "assignee, expected",
    [
        ("", {"status": "in_progress", "assigned_to": "Robin Okafor"}),
        (" supportbot ", {"status": "in_progress", "assigned_to": "Robin Okafor"}),
        ("Dana", {"status": "in_progress"}),
    ],
)
def test_an_acknowledgement_puts_the_ticket_in_progress_and_assigns_it_if_nobody_has_it(assignee, expected):
    event = AlertEvent("P1", ACKNOWLEDGED, assignee="Robin Okafor")
    assert ticket_changes(event, ticket(assigned_to=assignee), OPEN) == expected


def test_an_acknowledgement_without_an_agent_changes_only_the_status():
    assert ticket_changes(AlertEvent("P1", ACKNOWLEDGED), ticket(), OPEN) == {"status": "in_progress"}
    assert ticket_changes(AlertEvent("P1", ACKNOWLEDGED), ticket(status="in_progress"), ACKNOWLEDGED) == {}


def test_an_edit_sets_only_the_fields_that_differ():
    edit = AlertEvent("acme/api#42", None, changes={"title": "Disk full", "description": "More"})
    assert ticket_changes(edit, ticket(), OPEN) == {"description": "More"}
    assert ticket_changes(edit, ticket(status="closed"), CLOSED) == {"description": "More"}


def test_text_from_senders_is_made_storable():
    assert storable("a\x00b") == "ab"
    assert storable("x\ud800y") == "x\ufffdy"
    assert storable("Zürich ✓") == "Zürich ✓"


def test_titles_and_assignees_are_cut_not_refused():
    assert cut("  " + "t" * 250, "title") == "t" * 200
    assert cut("r" * 150, "assigned_to") == "r" * 100


def test_a_link_the_ticket_cannot_hold_is_dropped():
    assert link_or_empty("https://github.com/acme/api/issues/42") == "https://github.com/acme/api/issues/42"
    for bad in ("", "ftp://example.org/x", "http://example.org/a b", "https://x.org/" + "a" * 500):
        assert link_or_empty(bad) == ""


def test_a_new_ticket_falls_back_to_a_title_naming_the_external_thing():
    values = new_ticket(external_id="fp1", title="   ", fallback_title="Alert fp1", priority="low")
    assert values == {
        "title": "Alert fp1", "description": "", "priority": "low", "external_id": "fp1", "external_url": "",
    }  # fmt: skip
