"""Bad input to /api/tickets gets a 4xx in DRF's shape naming the problem, and writes nothing."""

import json

import pytest
from hypothesis import given

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_json, stored_state
from tickets.tests.strategies import FUZZ, JSON_VALUES, TICKET_LIKE

pytestmark = pytest.mark.django_db

RULE = "A low-priority ticket cannot be in progress unless it is assigned to a person or team"


@pytest.fixture
def alice(api_client, admin_user):
    return api_client(admin_user)


# (case, JSON body, the field the 400 must name)
BAD_FIELDS = [
    ("missing title", {"description": "no title"}, "title"),
    ("empty title", {"title": ""}, "title"),
    ("whitespace title", {"title": "   \t "}, "title"),
    ("null title", {"title": None}, "title"),
    ("title too long", {"title": "x" * 201}, "title"),
    ("title a number", {"title": 42}, "title"),
    ("title a list", {"title": ["a"]}, "title"),
    ("title an object", {"title": {"a": 1}}, "title"),
    ("title a boolean", {"title": True}, "title"),
    ("NUL in title", {"title": "a\x00b"}, "title"),
    ("lone surrogate in title", {"title": "\ud800"}, "title"),
    ("null description", {"title": "t", "description": None}, "description"),
    ("description a number", {"title": "t", "description": 1.5}, "description"),
    ("unknown status", {"title": "t", "status": "done"}, "status"),
    ("status in capitals", {"title": "t", "status": "OPEN"}, "status"),
    ("unknown priority", {"title": "t", "priority": "urgent"}, "priority"),
    ("priority a number", {"title": "t", "priority": 1}, "priority"),
    ("null priority", {"title": "t", "priority": None}, "priority"),
    ("assignee too long", {"title": "t", "assigned_to": "x" * 101}, "assigned_to"),
    ("assignee a list", {"title": "t", "assigned_to": ["Dana"]}, "assigned_to"),
    ("external id too long", {"title": "t", "external_id": "x" * 201}, "external_id"),
    ("low in progress unassigned", {"title": "t", "priority": "low", "status": "in_progress"}, "status"),
    (
        "low in progress with a bot",
        {"title": "t", "priority": "low", "status": "in_progress", "assigned_to": " supportbot "},
        "status",
    ),
]


@pytest.mark.parametrize("case, body, field", BAD_FIELDS, ids=[case for case, _, _ in BAD_FIELDS])
def test_a_bad_create_is_400_naming_the_field(alice, case, body, field):
    TicketFactory(title="Already here")
    before = stored_state()
    response = alice.generic("POST", "/api/tickets", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors and all(isinstance(message, str) for message in errors[field])
    assert stored_state() == before


@pytest.mark.parametrize(
    "case, body, field",
    [row for row in BAD_FIELDS if row[0] != "missing title"],
    ids=[case for case, _, _ in BAD_FIELDS if case != "missing title"],
)
def test_a_bad_update_is_400_naming_the_field_and_changes_nothing(alice, case, body, field):
    ticket = TicketFactory(title="Stays", priority="medium")
    before = stored_state()
    changes = {key: value for key, value in body.items() if key != "title" or field == "title"}
    raw = json.dumps(changes)  # ASCII-escaped, so a lone surrogate travels as "\ud800"
    response = alice.generic("PATCH", f"/api/tickets/{ticket.pk}", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert stored_state() == before


def test_the_business_rule_names_the_field_that_broke_it(alice):
    ticket = TicketFactory(priority="low", status="in_progress", assigned_to="Dana")
    before = stored_state()
    response = alice.patch(f"/api/tickets/{ticket.pk}", {"assigned_to": "SupportBot"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"assigned_to": [RULE + " (not empty, not a bot)."]}
    response = alice.patch(f"/api/tickets/{ticket.pk}", {"assigned_to": ""}, format="json")
    assert list(response.json()) == ["assigned_to"]
    assert stored_state() == before
    parked = TicketFactory(priority="medium", status="in_progress", assigned_to="")
    before = stored_state()
    response = alice.patch(f"/api/tickets/{parked.pk}", {"priority": "low"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["priority"]
    assert stored_state() == before


@pytest.mark.parametrize(
    "raw, message",
    [
        ('{"title": "unclosed"', "JSON parse error"),
        ("{'title': 'single quotes'}", "JSON parse error"),
        ('{"title": NaN}', "JSON parse error"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (b"\xff\xfe{}", "JSON parse error"),
    ],
    ids=["unclosed", "single quotes", "NaN", "deep nesting", "not UTF-8"],
)
def test_malformed_json_is_400_with_detail(alice, raw, message):
    response = alice.generic("POST", "/api/tickets", raw, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert stored_state() == nothing_stored()


@pytest.mark.parametrize("body", [[{"title": "in a list"}], "just a string", 42, None])
def test_a_body_that_is_not_an_object_is_400(alice, body):
    response = alice.generic("POST", "/api/tickets", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json() or "title" in response.json()
    assert stored_state() == nothing_stored()


def test_an_empty_body_is_400_title_required(alice):
    response = alice.generic("POST", "/api/tickets", "", content_type="application/json")
    assert response.status_code == 400 and "title" in response.json()
    assert stored_state() == nothing_stored()


def test_form_encoded_bodies_are_415(alice):
    response = alice.post("/api/tickets", {"title": "form"})  # multipart
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]
    assert stored_state() == nothing_stored()


def test_a_body_over_the_limit_is_413_and_writes_nothing(alice, settings):
    ticket = TicketFactory(title="Stays")
    before = stored_state()
    body = json.dumps({"title": "big", "description": "x" * settings.TRIAGE_MAX_BODY_BYTES})
    response = alice.generic("POST", "/api/tickets", body, content_type="application/json")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    response = alice.generic("PUT", f"/api/tickets/{ticket.pk}", body, content_type="application/json")
    assert response.status_code == 413
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Stays"]
    assert stored_state() == before


def test_a_description_just_under_the_limit_is_fine(alice, settings):
    body = json.dumps({"title": "big", "description": "x" * (settings.TRIAGE_MAX_BODY_BYTES - 100)})
    response = alice.generic("POST", "/api/tickets", body, content_type="application/json")
    assert response.status_code == 201
    assert len(Ticket.objects.get().description) == settings.TRIAGE_MAX_BODY_BYTES - 100
    assert response.json() == stored_json(response.json()["id"])


def test_unknown_fields_are_ignored(alice):
    response = alice.post("/api/tickets", {"title": "t", "colour": "red"}, format="json")
    assert response.status_code == 201 and "colour" not in response.json()
    assert response.json() == stored_json(response.json()["id"])
    (created,) = stored_state()["ticket_events"]
    assert created["kind"] == "created" and "colour" not in created["changes"]


@FUZZ
@given(body=TICKET_LIKE | JSON_VALUES)
def test_no_json_body_makes_a_500_and_a_refusal_writes_nothing(alice, body):
    """An accepted body answers with the ticket exactly as stored."""
    target = Ticket.objects.order_by("id").first() or TicketFactory(title="Target")
    before = stored_state()
    raw = json.dumps(body)
    created = alice.generic("POST", "/api/tickets", raw, content_type="application/json")
    assert created.status_code in (201, 400), created.content
    if created.status_code == 400:
        assert stored_state() == before
    else:
        assert created.json() == stored_json(created.json()["id"])
    before = stored_state()
    changed = alice.generic("PATCH", f"/api/tickets/{target.pk}", raw, content_type="application/json")
    assert changed.status_code in (200, 400), changed.content
    if changed.status_code == 400:
        assert stored_state() == before
    else:
        assert changed.json() == stored_json(target.pk)
