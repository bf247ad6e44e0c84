"""The rule admin's Backtest: for a saved rule and for the values on an add or change form, unsaved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from automation.models import Rule
from automation.services import rule_save
from automation.tests.test_admin import rule_post, stored_rules
from automation.tests.test_backtest_api import stored_rows
from notifications.tests.factories import ChannelFactory
from tickets.tests.factories import create_tickets

pytestmark = pytest.mark.django_db


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def history():
    return create_tickets(
        {"title": "Network outage", "priority": "low", "created_at": ago(3)},
        {"title": "Power outage", "priority": "medium", "created_at": ago(2)},
        {"title": "Printer jam", "priority": "low", "created_at": ago(1)},
    )


@pytest.fixture
def outage_rule():
    channel = ChannelFactory(name="ops-chat")
    return rule_save(rule=None, data={
        "name": "Outages up", "trigger": "create", "enabled": False,
        "conditions": [{"field": "title", "operator": "contains", "value": "outage"}],
        "actions": [{"type": "set", "field": "priority", "value": "high"},
                    {"type": "notify", "channel": channel.name}],
    })  # fmt: skip


@pytest.mark.parametrize("persona", ["admin_client", "analyst_client"])
def test_the_change_form_links_to_the_backtest_which_shows_the_apis_figures(
    request, persona, history, outage_rule, api_client, admin_user
):
    client = request.getfixturevalue(persona)
    change = client.get(reverse("admin:automation_rule_change", args=[outage_rule.pk]))
    url = reverse("admin:automation_rule_backtest", args=[outage_rule.pk])
    assert url in change.content.decode()
    before = stored_rows()
    assert client.get(url).context["result"] is None  # the form first, 30 days filled in
    page = client.get(url, {"days": 7})
    assert page.status_code == 200
    result = page.context["result"]
    assert result == {
        "examined": 3,
        "would_fire": 2,
        "changes": {"priority": {"low -> high": 1, "medium -> high": 1}},
        "notifications": {"ops-chat": 2},
        "examples": [history[1].pk, history[0].pk],
    }
    body = page.content.decode()
    for shown in ("low -&gt; high", "ops-chat", f"#{history[0].pk}", 'id="backtest-would-fire">2<'):
        assert shown in body
    document = {"rule": {"trigger": "create", "conditions": [{"field": "title", "operator": "contains",
                "value": "outage"}], "actions": [{"type": "set", "field": "priority", "value": "high"},
                {"type": "notify", "channel": "ops-chat"}]}, "days": 7}  # fmt: skip
    assert api_client(admin_user).post("/api/rules/backtest", document, format="json").json() == result
    assert stored_rows() == before


def test_bad_days_and_rules_not_triggered_on_create_are_explained(admin_client, outage_rule):
    url = reverse("admin:automation_rule_backtest", args=[outage_rule.pk])
    page = admin_client.get(url, {"days": "400"})
    assert page.status_code == 200 and page.context["result"] is None
    assert "less than or equal to 365" in page.content.decode()
    Rule.objects.filter(pk=outage_rule.pk).update(trigger="update")
    page = admin_client.get(url, {"days": "7"})
    assert page.context["result"] is None
    assert "Only rules triggered on create" in page.content.decode()


def test_the_add_forms_backtest_button_replays_the_unsaved_rule_and_saves_nothing(admin_client, history):
    assert "_backtest" in admin_client.get(reverse("admin:automation_rule_add")).content.decode()
    before, rules = stored_rows(), stored_rules()
    post = rule_post(name="Not saved", trigger="create", conditions=[("title", "contains", "jam")],
                     actions=[("assigned_to", "Printers")])  # fmt: skip
    page = admin_client.post(reverse("admin:automation_rule_add"), {**post, "_backtest": "Backtest",
                                                                    "backtest-days": "7"})  # fmt: skip
    assert page.status_code == 200
    assert page.context["result"] == {
        "examined": 3, "would_fire": 1, "changes": {"assigned_to": {" -> Printers": 1}}, "notifications": {},
        "examples": [history[2].pk],
    }  # fmt: skip
    assert stored_rows() == before and stored_rules() == rules


def test_the_change_forms_backtest_button_replays_the_edited_values_not_the_stored_ones(
    admin_client, history, outage_rule
):
    rules, before = stored_rules(), stored_rows()
    post = rule_post(name="Renamed, not saved", trigger="both", conditions=[("priority", "is", "low")],
                     actions=[("priority", "medium")])  # fmt: skip
    url = reverse("admin:automation_rule_change", args=[outage_rule.pk])
    page = admin_client.post(url, {**post, "_backtest": "Backtest", "backtest-days": "30"})
    assert page.status_code == 200
    assert page.context["result"]["changes"] == {"priority": {"low -> medium": 2}}
    assert stored_rules() == rules and stored_rows() == before
    assert Rule.objects.get(pk=outage_rule.pk).name == "Outages up"


def test_an_invalid_unsaved_rule_is_explained_and_nothing_is_saved(admin_client, history):
    before = stored_rules()
    post = rule_post(name="Breaks the rule", trigger="create", conditions=[("priority", "is", "low")],
                     actions=[("status", "in_progress")])  # fmt: skip
    page = admin_client.post(reverse("admin:automation_rule_add"), {**post, "_backtest": "Backtest",
                                                                    "backtest-days": "7"})  # fmt: skip
    assert page.status_code == 200 and page.context["result"] is None
    assert "could break the business rule" in page.content.decode()
    assert stored_rules() == before


def test_analysts_backtest_saved_rules_but_cannot_post_the_form(analyst_client, outage_rule, history):
    change = analyst_client.get(reverse("admin:automation_rule_change", args=[outage_rule.pk]))
    assert 'name="_backtest"' not in change.content.decode()  # a read-only form posts nothing
    before = stored_rules()
    post = {
        **rule_post(name="Hijack", actions=[("assigned_to", "x")]),
        "_backtest": "1",
        "backtest-days": "7",
    }
    response = analyst_client.post(reverse("admin:automation_rule_change", args=[outage_rule.pk]), post)
    assert response.status_code == 403
    assert stored_rules() == before


def test_support_and_anonymous_users_get_no_backtest(client, support_user, outage_rule):
    url = reverse("admin:automation_rule_backtest", args=[outage_rule.pk])
    assert client.get(url).status_code == 302  # to the admin's login page
    client.force_login(support_user)
    assert client.get(url).status_code == 302  # support has no admin access at all
