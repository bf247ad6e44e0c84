"""Idempotency-Key on POST /api/tickets, with Stripe's semantics; concurrent duplicates make one ticket."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets import idempotency
from tickets.models import IdempotencyKey, Ticket, TicketEvent
from tickets.tests.stored import nothing_stored, stored_json, stored_state
from tickets.tests.threads import run_at_once

pytestmark = pytest.mark.django_db

KEY = "3f1c2a9e-5b7d-4e2f-9a61-0c8d4b2e7f10"


@pytest.fixture
def alice(api_client, admin_user):
    return api_client(admin_user)


def create(client, body, key=KEY, **extra):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.generic(
        "POST",
        "/api/tickets",
        raw,
        content_type="application/json",
        headers={"Idempotency-Key": key, **extra},
    )


def stored_keys() -> list[tuple]:
    """(user, key, status code, answer) of every stored Idempotency-Key, oldest first."""
    rows = IdempotencyKey.objects.order_by("id")
    return list(rows.values_list("user__username", "key", "status_code", "response"))


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing(alice):
    first = create(alice, {"title": "Checkout down", "priority": "high"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = create(alice, '{ "priority": "high",  "title": "Checkout down" }')  # same JSON, other spelling
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (again["ETag"], again["Location"]) == (first["ETag"], first["Location"])
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(kind="created").count() == 1
    assert first.json() == stored_json(first.json()["id"])
    assert stored_keys() == [("alice", KEY, 201, first.json())]


def test_the_replay_is_the_first_answer_even_after_the_ticket_changed(alice):
    first = create(alice, {"title": "Disk full"}).json()
    alice.patch(f"/api/tickets/{first['id']}", {"status": "closed"}, format="json")
    before = stored_state()
    assert create(alice, {"title": "Disk full"}).json() == first
    assert stored_state() == before
    assert stored_json(first["id"])["status"] == "closed"
    assert stored_keys() == [("alice", KEY, 201, first)]


def test_the_same_key_with_another_body_is_422_and_creates_nothing(alice):
    first = create(alice, {"title": "Disk full"}).json()
    before = stored_state()
    response = create(alice, {"title": "Disk full", "priority": "high"})
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert stored_state() == before
    assert stored_keys() == [("alice", KEY, 201, first)]


def test_keys_belong_to_their_user(alice, api_client, analyst_user):
    first = create(alice, {"title": "Mine"}).json()
    response = create(api_client(analyst_user), {"title": "Mine"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2
    assert stored_keys() == [("alice", KEY, 201, first), ("bob", KEY, 201, response.json())]


def test_keys_expire_after_24_hours_and_are_then_purged(alice, admin_user):
    first = create(alice, {"title": "Yesterday"}).json()
    IdempotencyKey.objects.update(created_at=timezone.now() - idempotency.KEEP_FOR - timedelta(seconds=1))
    again = create(alice, {"title": "Yesterday"})
    assert again.status_code == 201 and again.json()["id"] != first["id"]
    assert Ticket.objects.count() == 2
    assert list(IdempotencyKey.objects.values_list("response__id", flat=True)) == [again.json()["id"]]


def test_a_refused_request_stores_nothing_so_its_corrected_retry_runs(alice, api_client, support_user):
    assert create(alice, {"title": ""}).status_code == 400
    assert stored_state() == nothing_stored()
    fixed = create(alice, {"title": "Fixed"})
    assert fixed.status_code == 201 and fixed.json() == stored_json(fixed.json()["id"])
    carol = api_client(support_user)
    before = stored_state()
    assert create(carol, {"title": "Assign", "assigned_to": "Eve"}, key="k2").status_code == 403
    assert stored_state() == before
    retried = create(carol, {"title": "Assign"}, key="k2")
    assert retried.status_code == 201
    assert stored_keys() == [("alice", KEY, 201, fixed.json()), ("carol", "k2", 201, retried.json())]


def test_a_failure_after_the_ticket_was_written_rolls_both_back(alice, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(IdempotencyKey.objects, "create", fail)
    with pytest.raises(RuntimeError):
        create(alice, {"title": "Half done"})
    assert stored_state() == nothing_stored()


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\there", "caf\u00e9", "nul\x00"], ids=repr)
def test_a_malformed_key_is_400_naming_the_header_and_writes_nothing(alice, key):
    response = create(alice, {"title": "Keyed"}, key=key)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [idempotency.KEY_RULE]}
    assert stored_state() == nothing_stored()


def test_the_longest_key_is_fine(alice):
    response = create(alice, {"title": "Keyed"}, key="k" * 255)
    assert response.status_code == 201
    assert response.json() == stored_json(response.json()["id"])
    assert stored_keys() == [("alice", "k" * 255, 201, response.json())]


def test_purge_idempotency_keys_deletes_the_expired_ones(alice, capsys):
    create(alice, {"title": "Old"}, key="old")
    create(alice, {"title": "New"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    call_command("purge_idempotency_keys")
    assert "Deleted 1 expired" in capsys.readouterr().out
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_duplicates_make_exactly_one_ticket(api_client, admin_user):
    clients = [api_client(admin_user) for _ in range(8)]  # the token exists before the threads start
    body = {"title": "Sent eight times at once", "priority": "low"}
    answers = run_at_once([lambda client=client: create(client, body, key="storm") for client in clients])
    assert {answer.status_code for answer in answers} == {201}, answers
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum("Idempotent-Replayed" in answer for answer in answers) == 7
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(kind="created").count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_duplicate_that_loses_the_race_to_the_constraint_replays_the_first_answer(alice, monkeypatch):
    """Both requests see no stored key; the unique constraint lets only the first commit."""
    first = create(alice, {"title": "Winner"})
    looks = []
    stored_answer = idempotency._stored_answer

    def not_there_on_the_first_look(user, key, now):
        looks.append(key)
        return None if len(looks) == 1 else stored_answer(user, key, now)

    monkeypatch.setattr(idempotency, "_stored_answer", not_there_on_the_first_look)
    loser = create(alice, {"title": "Winner"})
    assert (loser.status_code, loser.json(), loser["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert len(looks) == 2
    assert Ticket.objects.count() == 1 and TicketEvent.objects.filter(kind="created").count() == 1
