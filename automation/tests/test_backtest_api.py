"""`POST /api/rules/backtest`: the answer's shape, roles, 400 naming the key, and nothing written."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from automation.models import AutomationLog, Rule, RuleAction, RuleCondition
from notifications.models import Delivery
from notifications.tests.factories import ChannelFactory
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import create_tickets, update_tickets

pytestmark = pytest.mark.django_db

RULE = {
    "name": "Page on-call for outages", "trigger": "create", "match": "all",
    "conditions": [{"field": "title", "operator": "contains", "value": "outage"}],
    "actions": [{"type": "set", "field": "priority", "value": "high"},
                {"type": "notify", "channel": "ops-chat"}],
}  # fmt: skip


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def stored_rows() -> dict[str, int]:
    """The rows a backtest must not write (or delete): tickets, their trail, the log, messages, the queue."""
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "automation logs": AutomationLog.objects.count(),
        "deliveries": Delivery.objects.count(),
        "queue rows": DBTaskResult.objects.count(),
        "rules": Rule.objects.count() + RuleCondition.objects.count() + RuleAction.objects.count(),
    }


@pytest.fixture
def history():
    ChannelFactory(name="ops-chat")
    tickets = create_tickets(
        {"title": "Network outage", "priority": "low", "created_at": ago(3)},
        {"title": "Power outage", "priority": "medium", "created_at": ago(2)},
        {"title": "Printer jam", "priority": "low", "created_at": ago(1)},
        {"title": "Old outage", "priority": "low", "created_at": ago(40)},
    )
    update_tickets((tickets[1], {"title": "Power restored"}))  # the backtest reads what was proposed
    return tickets


def test_it_says_what_the_rule_would_change_and_notify_and_writes_nothing(api_client, admin_user, history):
    before = stored_rows()
    response = api_client(admin_user).post("/api/rules/backtest", {"rule": RULE, "days": 30}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "examined": 3,
        "would_fire": 2,
        "changes": {"priority": {"low -> high": 1, "medium -> high": 1}},
        "notifications": {"ops-chat": 2},
        "examples": [history[1].pk, history[0].pk],
    }
    assert stored_rows() == before


def test_a_notify_only_rule_fires_and_an_inactive_channel_would_get_nothing(
    api_client, analyst_user, history
):
    ChannelFactory(name="paused", active=False)
    rule = {
        **RULE,
        "actions": [{"type": "notify", "channel": "ops-chat"}, {"type": "notify", "channel": "paused"}],
    }
    answer = (
        api_client(analyst_user)
        .post("/api/rules/backtest/", {"rule": rule, "days": 365}, format="json")
        .json()
    )
    assert (answer["would_fire"], answer["changes"], answer["notifications"]) == (3, {}, {"ops-chat": 3})


def test_a_saved_rules_name_is_no_problem(api_client, analyst_user, history):
    answer = api_client(analyst_user).post(
        "/api/rules/backtest",
        {"rule": {**RULE, "name": "High priority → Senior Analyst"}, "days": 7},
        format="json",
    )
    assert answer.status_code == 200, answer.json()


@pytest.mark.parametrize("user, status", [("admin_user", 200), ("analyst_user", 200), ("support_user", 403),
                                          (None, 401)])  # fmt: skip
def test_roles(request, api_client, history, user, status):
    client = api_client(request.getfixturevalue(user) if user else None)
    before = stored_rows()
    assert client.post("/api/rules/backtest", {"rule": RULE, "days": 7}, format="json").status_code == status
    assert stored_rows() == before


@pytest.mark.parametrize(
    "body, key",
    [
        ({"rule": {**RULE, "trigger": "update"}, "days": 7}, "trigger"),
        ({"rule": {**RULE, "trigger": "sla_breached"}, "days": 7}, "trigger"),
        ({"rule": RULE, "days": 0}, "days"),
        ({"rule": RULE, "days": 366}, "days"),
        ({"rule": RULE, "days": "7"}, "days"),
        ({"rule": RULE, "days": True}, "days"),
        ({"rule": RULE}, "days"),
        ({"days": 7}, "rule"),
        ({"rule": "outages", "days": 7}, "rule"),
        ({"rule": {**RULE, "actions": [{"type": "notify", "channel": "nowhere"}]}, "days": 7}, "actions"),
        ({"rule": {**RULE, "actions": []}, "days": 7}, "actions"),
        ({"rule": {**RULE, "conditions": [{"field": "colour", "operator": "is", "value": "x"}]}, "days": 7},
         "conditions"),
        ({"rule": {**RULE, "match": "most"}, "days": 7}, "match"),
        # Could break the business rule: refused as it would be on saving.
        ({"rule": {**RULE, "conditions": [{"field": "priority", "operator": "is", "value": "low"}],
                   "actions": [{"type": "set", "field": "status", "value": "in_progress"}]},
          "days": 7}, "actions"),
    ],
)  # fmt: skip
def test_bad_input_gets_400_naming_the_key_and_writes_nothing(api_client, admin_user, history, body, key):
    before = stored_rows()
    response = api_client(admin_user).post("/api/rules/backtest", body, format="json")
    assert response.status_code == 400
    assert key in response.json(), response.json()
    assert stored_rows() == before


def test_the_backtest_reads_in_a_fixed_number_of_queries(api_client, admin_user, history):
    client = api_client(admin_user)
    body = {"rule": RULE, "days": 30}
    client.post("/api/rules/backtest", body, format="json")
    with CaptureQueriesContext(connection) as few:
        client.post("/api/rules/backtest", body, format="json")
    create_tickets(*({"title": f"Outage {n}", "created_at": ago(1)} for n in range(30)))
    with CaptureQueriesContext(connection) as many:
        assert client.post("/api/rules/backtest", body, format="json").json()["examined"] == 33
    assert len(many) == len(few) <= 6


def test_it_is_in_the_openapi_schema(api_client, admin_user):
    schema = api_client(admin_user).get("/api/schema", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/rules/backtest"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["required"]) == {"rule", "days"}
