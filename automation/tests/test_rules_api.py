"""`/api/rules`: the rule JSON, validation shared with the admin, and writes that change nothing on 400."""

import pytest

from automation.models import Rule, RuleAction, RuleCondition
from notifications.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

RULE = {
    "name": "Page on-call for outages", "description": "", "position": 5, "enabled": True,
    "trigger": "create", "match": "all", "stop_processing": False,
    "conditions": [{"field": "title", "operator": "contains", "value": "outage"},
                   {"field": "priority", "operator": "in", "value": ["high", "medium"]}],
    "actions": [{"type": "set", "field": "priority", "value": "high"},
                {"type": "notify", "channel": "ops-chat"}],
}  # fmt: skip


def stored_rules() -> tuple:
    return (
        list(Rule.objects.order_by("id").values()),
        list(RuleCondition.objects.order_by("id").values()),
        list(RuleAction.objects.order_by("id").values()),
    )


def test_an_admin_creates_a_rule_and_reads_it_back_in_the_same_shape(api_client, admin_user):
    ChannelFactory(name="ops-chat")
    client = api_client(admin_user)
    response = client.post("/api/rules", RULE, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created == {"id": created["id"], **RULE}
    assert client.get(f"/api/rules/{created['id']}").json() == created
    listed = client.get("/api/rules/").json()
    assert [rule["name"] for rule in listed] == [RULE["name"], "High priority → Senior Analyst",
                                                  "Low priority → SupportBot"]  # fmt: skip


def test_the_seed_rules_read_as_json(api_client, analyst_user):
    (high, low) = api_client(analyst_user).get("/api/rules").json()
    assert high["conditions"] == [
        {"field": "priority", "operator": "changed", "value": ""},
        {"field": "priority", "operator": "is", "value": "high"},
        {"field": "status", "operator": "is_not", "value": "closed"},
    ]
    assert low["actions"] == [{"type": "set", "field": "assigned_to", "value": "SupportBot"}]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"conditions": [{"field": "colour", "operator": "is", "value": "red"}]}, "conditions"),
        ({"conditions": [{"field": "title", "operator": "resembles", "value": "x"}]}, "conditions"),
        ({"conditions": [{"field": "priority", "operator": "is", "value": "urgent"}]}, "conditions"),
        ({"conditions": [{"field": "priority", "operator": "in", "value": "high,low"}]}, "conditions"),
        ({"conditions": [{"field": "priority", "operator": "in", "value": []}]}, "conditions"),
        ({"actions": [{"type": "notify", "channel": "nowhere"}]}, "actions"),
        ({"actions": [{"type": "set", "field": "status", "value": "pending"}]}, "actions"),
        ({"actions": [{"type": "set", "field": "title", "value": "x"}]}, "actions"),
        ({"actions": [{"type": "page", "channel": "ops-chat"}]}, "actions"),
        ({"actions": []}, "actions"),
        ({"trigger": "sometimes"}, "trigger"),
        ({"match": "most"}, "match"),
        ({"name": ""}, "name"),
        ({"position": "first"}, "position"),
        # Could break the business rule: a low ticket set in progress with no proper assignee.
        ({"conditions": [{"field": "priority", "operator": "is", "value": "low"}],
          "actions": [{"type": "set", "field": "status", "value": "in_progress"}]}, "actions"),
    ],
)  # fmt: skip
def test_an_invalid_rule_gets_400_naming_the_key_and_writes_nothing(api_client, admin_user, change, key):
    ChannelFactory(name="ops-chat")
    before = stored_rules()
    response = api_client(admin_user).post("/api/rules", {**RULE, **change}, format="json")
    assert response.status_code == 400
    assert key in response.json(), response.json()
    assert stored_rules() == before


def test_the_admin_refuses_what_the_api_refuses(admin_client):
    """One validator: the admin's form error is the API's message."""
    from automation.tests.test_admin import rule_post

    response = admin_client.post(
        "/admin/automation/rule/add/",
        rule_post(conditions=[("priority", "is", "low")], actions=[("status", "in_progress")]),
    )
    assert b"could break the business rule" in response.content
    assert not Rule.objects.filter(name="Outage to NOC").exists()


def test_patch_changes_only_what_it_names_and_put_replaces(api_client, admin_user):
    ChannelFactory(name="ops-chat")
    client = api_client(admin_user)
    rule_id = client.post("/api/rules", RULE, format="json").json()["id"]
    patched = client.patch(f"/api/rules/{rule_id}", {"enabled": False}, format="json").json()
    assert patched == {"id": rule_id, **RULE, "enabled": False}
    replaced = client.put(f"/api/rules/{rule_id}", {"name": "Renamed", "actions": RULE["actions"][1:]},
                          format="json").json()  # fmt: skip
    assert (replaced["name"], replaced["actions"], replaced["id"]) == (
        "Renamed",
        RULE["actions"][1:],
        rule_id,
    )


def test_a_rule_made_over_the_api_fires_on_the_next_write(api_client, admin_user):
    from notifications.models import Delivery
    from tickets.models import Ticket

    ChannelFactory(name="ops-chat")
    api_client(admin_user).post("/api/rules", RULE, format="json")
    ticket = Ticket.objects.create(title="Big outage", priority="medium")
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert Delivery.objects.get().rule_name == RULE["name"]


def test_sla_triggers_are_accepted_and_do_not_fire_on_saves(api_client, admin_user):
    from notifications.models import Delivery
    from tickets.models import Ticket

    ChannelFactory(name="ops-chat")
    body = {**RULE, "trigger": "sla_breached", "actions": [{"type": "notify", "channel": "ops-chat"}]}
    assert api_client(admin_user).post("/api/rules", body, format="json").status_code == 201
    Ticket.objects.create(title="outage", priority="high")
    assert not Delivery.objects.exists()


def test_deleting_a_rule(api_client, admin_user):
    rule = Rule.objects.first()
    assert api_client(admin_user).delete(f"/api/rules/{rule.pk}").status_code == 204
    assert not Rule.objects.filter(pk=rule.pk).exists()
    assert api_client(admin_user).get(f"/api/rules/{rule.pk}").status_code == 404
