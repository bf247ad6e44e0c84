"""Rules in Django admin: editing, refusing invalid rules, the dry run, the read-only log."""

import pytest
from django.urls import reverse

from automation.models import AutomationLog, Rule, RuleAction, RuleCondition
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import stored_state

pytestmark = pytest.mark.django_db


def stored_rules() -> dict[str, list[dict]]:
    """Every rule, condition and action row, field by field: what a refused rule form must leave."""
    return {
        "rules": list(Rule.objects.order_by("id").values()),
        "conditions": list(RuleCondition.objects.order_by("id").values()),
        "actions": list(RuleAction.objects.order_by("id").values()),
    }


def rule_post(name="Outage to NOC", conditions=(), actions=(), **fields):
    data = {
        "name": name, "position": "30", "enabled": "on", "trigger": "both", "match": "all",
        "description": "", **fields,
        "conditions-TOTAL_FORMS": str(len(conditions)), "conditions-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": str(len(actions)), "actions-INITIAL_FORMS": "0",
    }  # fmt: skip
    for n, (field, operator, value) in enumerate(conditions):
        data.update(
            {
                f"conditions-{n}-field": field,
                f"conditions-{n}-operator": operator,
                f"conditions-{n}-value": value,
            }
        )
    for n, (field, value) in enumerate(actions):
        if field == "notify":  # ("notify", channel id)
            data.update({f"actions-{n}-kind": "notify", f"actions-{n}-channel": str(value)})
        else:
            data.update({f"actions-{n}-kind": "set", f"actions-{n}-field": field})
            data[f"actions-{n}-value"] = value
    return data


def test_an_admin_adds_a_rule_that_then_fires(admin_client):
    response = admin_client.post(
        reverse("admin:automation_rule_add"),
        rule_post(conditions=[("title", "contains", "outage")], actions=[("assigned_to", "NOC")]),
    )
    assert response.status_code == 302, response.content
    rule = Rule.objects.get(name="Outage to NOC")
    assert (rule.position, rule.enabled, rule.trigger, rule.match, rule.stop_processing) == (
        30, True, "both", "all", False
    )  # fmt: skip
    conditions = rule.conditions.values_list("field", "operator", "value")
    assert list(conditions) == [("title", "contains", "outage")]
    assert list(rule.actions.values_list("field", "value")) == [("assigned_to", "NOC")]
    ticket = Ticket.objects.create(title="Network outage in Leeds", priority="medium")
    assert Ticket.objects.get(pk=ticket.pk).assigned_to == "NOC"
    assert list(AutomationLog.objects.values_list("rule_id", "ticket_id", "changes")) == [
        (rule.pk, ticket.pk, {"assigned_to": ["", "NOC"]})
    ]


@pytest.mark.parametrize(
    "conditions, actions, message",
    [
        ([("priority", "is", "urgent")], [("assigned_to", "NOC")], b"not a valid priority"),
        ([], [("status", "pending")], b"not a valid status"),
        ([("priority", "is", "low")], [("status", "in_progress")], b"could break the business rule"),
        ([], [("assigned_to", "SupportBot")], b"could break the business rule"),
        ([], [], b"at least one action"),
        ([("priority", "changed_to", "")], [("assigned_to", "NOC")], b"needs a value"),
    ],
)
def test_invalid_rules_are_refused_with_a_form_error(admin_client, conditions, actions, message):
    before = stored_rules()
    response = admin_client.post(
        reverse("admin:automation_rule_add"), rule_post(conditions=conditions, actions=actions)
    )
    assert response.status_code == 200
    assert message in response.content
    assert not Rule.objects.filter(name="Outage to NOC").exists()
    assert stored_rules() == before  # no rule, and no orphan condition or action either


def test_analysts_read_rules_but_cannot_change_them(analyst_client):
    rule = Rule.objects.first()
    before = stored_rules()
    url = reverse("admin:automation_rule_change", args=[rule.pk])
    page = analyst_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = analyst_client.post(url, rule_post(name="Hijacked", actions=[("assigned_to", "x")]))
    assert response.status_code == 403
    assert analyst_client.get(reverse("admin:automation_rule_add")).status_code == 403
    rule.refresh_from_db()
    assert rule.name != "Hijacked"
    assert stored_rules() == before


def test_the_dry_run_shows_what_would_happen_and_writes_nothing(analyst_client):
    ticket = TicketFactory(priority="medium", assigned_to="Dana")
    rule = Rule.objects.get(position=10)
    before = stored_state()
    response = analyst_client.get(
        reverse("admin:automation_rule_dry_run", args=[rule.pk]),
        {"ticket": ticket.pk, "mode": "update", "priority": "high", "status": "", "assigned_to": ""},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "fires" in body and "Senior Analyst" in body
    assert stored_state() == before
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assigned_to) == ("medium", "Dana")


def test_the_dry_run_explains_an_unknown_ticket(admin_client):
    rule = Rule.objects.first()
    response = admin_client.get(
        reverse("admin:automation_rule_dry_run", args=[rule.pk]), {"ticket": 999999, "mode": "create"}
    )
    assert b"No ticket has that number" in response.content


def test_the_automation_log_is_read_only_and_filterable(admin_client):
    Ticket.objects.create(title="x", priority="high")
    log = AutomationLog.objects.get()
    before = list(AutomationLog.objects.values())
    changelist = reverse("admin:automation_automationlog_changelist")
    assert admin_client.get(changelist, {"rule_name": log.rule_name}).status_code == 200
    assert admin_client.get(reverse("admin:automation_automationlog_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:automation_automationlog_delete", args=[log.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert list(AutomationLog.objects.values()) == before
