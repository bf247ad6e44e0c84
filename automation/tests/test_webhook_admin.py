"""Integrations and the delivery log in Django admin: admins only; secrets shown once; log read-only."""

import re

import pytest
from django.urls import reverse

from automation import signatures
from automation.models import Integration, WebhookDelivery
from automation.webhook import integration_save_secret

pytestmark = pytest.mark.django_db


def shown_secret(response) -> str:
    match = re.search(r'<code id="integration-secret">(whsec_[^<]+)</code>', response.content.decode())
    assert match, response.content
    return match.group(1)


@pytest.fixture
def acme():
    return integration_save_secret(name="acme")[0]


def test_adding_an_integration_shows_its_generated_secret_once(admin_client):
    response = admin_client.post(
        reverse("admin:automation_integration_add"), {"name": "acme", "active": "on"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    integration = Integration.objects.get()
    assert shown_secret(response) == integration.secret
    assert len(signatures.decode_secret(integration.secret)) == 32
    page = admin_client.get(reverse("admin:automation_integration_change", args=[integration.pk]))
    assert integration.secret not in page.content.decode()
    assert integration.secret_hint in page.content.decode()
    assert (
        integration.secret
        not in admin_client.get(reverse("admin:automation_integration_changelist")).content.decode()
    )


def test_an_admin_may_paste_a_secret_but_not_a_bad_one(admin_client):
    url = reverse("admin:automation_integration_add")
    response = admin_client.post(url, {"name": "acme", "active": "on", "secret": "not-a-secret"})
    assert response.status_code == 200 and b"starts with" in response.content
    assert Integration.objects.count() == 0
    secret = signatures.generate_secret()
    assert shown_secret(admin_client.post(url, {"name": "acme", "active": "on", "secret": secret})) == secret
    assert list(Integration.objects.values_list("name", "active", "secret")) == [("acme", True, secret)]


def test_rotating_shows_a_new_secret_and_the_old_one_stops_working(admin_client, acme):
    old = acme.secret
    url = reverse("admin:automation_integration_rotate_secret", args=[acme.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    acme.refresh_from_db()
    assert shown_secret(response) == acme.secret != old
    page = admin_client.get(reverse("admin:automation_integration_change", args=[acme.pk]))
    assert b"Rotate secret" in page.content and url.encode() in page.content


def test_an_admin_deactivates_an_integration(admin_client, acme):
    url = reverse("admin:automation_integration_change", args=[acme.pk])
    response = admin_client.post(url, {"name": "acme"})  # the "active" box unticked
    assert response.status_code == 302
    acme.refresh_from_db()
    assert not acme.active and acme.secret  # the secret is untouched


def test_the_delivery_log_is_read_only_and_filterable(admin_client, acme):
    other = integration_save_secret(name="billing")[0]
    WebhookDelivery.objects.create(
        integration=acme, webhook_id="a1", outcome="accepted", status_code=201, ticket_id=7
    )
    WebhookDelivery.objects.create(
        integration=other,
        webhook_id="b1",
        outcome="rejected",
        status_code=400,
        reason="invalid payload: title: This field is required.",
    )
    WebhookDelivery.objects.create(
        webhook_id="c1", outcome="rejected", status_code=401, reason="no signature matches"
    )
    url = reverse("admin:automation_webhookdelivery_changelist")
    page = admin_client.get(url).content.decode()
    shown = (">a1<", ">b1<", ">c1<", "This field is required", "no signature matches")
    assert all(text in page for text in shown)
    rejected = admin_client.get(url, {"outcome__exact": "rejected"}).content.decode()
    assert "b1" in rejected and "c1" in rejected and ">a1<" not in rejected
    by_sender = admin_client.get(url, {"integration__id__exact": acme.pk}).content.decode()
    assert "a1" in by_sender and ">b1<" not in by_sender  # a bare "b1" may be in the CSRF token
    delivery = WebhookDelivery.objects.get(webhook_id="b1")
    change_url = reverse("admin:automation_webhookdelivery_change", args=[delivery.pk])
    assert b'name="_save"' not in admin_client.get(change_url).content
    assert admin_client.post(change_url, {"reason": "edited"}).status_code == 403
    assert admin_client.get(reverse("admin:automation_webhookdelivery_add")).status_code == 403
    delivery.refresh_from_db()
    assert delivery.reason.startswith("invalid payload")


def test_an_admin_adds_an_integration_of_any_kind_and_sees_its_url_and_secret(admin_client):
    url = reverse("admin:automation_integration_add")
    response = admin_client.post(url, {"name": "prod-alerts", "kind": "alertmanager", "active": "on"})
    integration = Integration.objects.get()
    assert integration.kind == "alertmanager" and integration.secret_rotated_at
    page = response.content.decode()
    assert f'<code id="integration-secret">{integration.secret}</code>' in page
    assert "/webhook/alertmanager/prod-alerts" in page and "Authorization: Bearer" in page
    listing = admin_client.get(
        reverse("admin:automation_integration_changelist"), {"kind__exact": "alertmanager"}
    )
    assert "/webhook/alertmanager/prod-alerts" in listing.content.decode()


def test_a_name_that_cannot_be_part_of_a_url_is_refused(admin_client):
    url = reverse("admin:automation_integration_add")
    response = admin_client.post(url, {"name": "Acme monitoring", "kind": "github", "active": "on"})
    assert response.status_code == 200 and b"only letters, digits, - and _" in response.content
    assert not Integration.objects.exists()


def test_a_pasted_secret_is_checked_for_the_kind(admin_client):
    url = reverse("admin:automation_integration_add")
    response = admin_client.post(
        url, {"name": "prod", "kind": "alertmanager", "active": "on", "secret": "short"}
    )
    assert response.status_code == 200 and b"at least 16" in response.content
    assert not Integration.objects.exists()
    secret = "GitHub hook secret with spaces"
    response = admin_client.post(
        url, {"name": "acme-api", "kind": "github", "active": "on", "secret": secret}
    )
    assert shown_secret_any(response) == secret == Integration.objects.get().secret


def shown_secret_any(response) -> str:
    match = re.search(r'<code id="integration-secret">([^<]+)</code>', response.content.decode())
    assert match, response.content
    return match.group(1)


def test_the_alertmanager_mapping_is_edited_as_lines(admin_client):
    am = integration_save_secret(name="prod-alerts", kind="alertmanager")[0]
    url = reverse("admin:automation_integration_change", args=[am.pk])
    page = admin_client.get(url).content.decode()
    assert "critical = high\npage = high\nwarning = medium" in page
    data = {
        "name": "prod-alerts",
        "active": "on",
        "severity_map": "P1 = high\n\ninfo = Low\n",
        "new_secret": "",
    }
    data["other_severity_priority"] = "medium"
    assert admin_client.post(url, data).status_code == 302
    am.refresh_from_db()
    assert am.severity_priorities == {"P1": "high", "info": "low"} and am.other_severity_priority == "medium"
    assert (am.priority_for_severity("p1"), am.priority_for_severity("other")) == ("high", "medium")


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("critical: high", "write `severity = priority`"),
        ("critical = urgent", "the priority is one of low, medium, high"),
        ("page = high\nPAGE = low", "listed twice"),
    ],
)
def test_a_bad_mapping_is_refused_and_nothing_changes(admin_client, mapping, message):
    am = integration_save_secret(name="prod-alerts", kind="alertmanager")[0]
    url = reverse("admin:automation_integration_change", args=[am.pk])
    data = {"name": "prod-alerts", "active": "on", "severity_map": mapping, "other_severity_priority": "low"}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and message in response.content.decode()
    am.refresh_from_db()
    assert am.severity_priorities == {"critical": "high", "page": "high", "warning": "medium"}


def test_the_mapping_is_only_offered_for_alertmanager(admin_client):
    gh = integration_save_secret(name="acme-api", kind="github")[0]
    page = admin_client.get(reverse("admin:automation_integration_change", args=[gh.pk])).content.decode()
    assert "severity_map" not in page and "/webhook/github/acme-api" in page


def test_pagerdutys_own_secret_is_pasted_to_re_key_an_integration(admin_client):
    pd = integration_save_secret(name="payments-pd", kind="pagerduty")[0]
    url = reverse("admin:automation_integration_change", args=[pd.pk])
    page = admin_client.get(url).content.decode()
    assert pd.secret not in page
    response = admin_client.post(
        url, {"name": "payments-pd", "active": "on", "new_secret": "PD made this one"}
    )
    assert response.status_code == 302
    rotated = Integration.objects.get()
    assert rotated.secret == "PD made this one" and rotated.secret_rotated_at > pd.secret_rotated_at
    admin_client.post(url, {"name": "payments-pd", "active": "on", "new_secret": ""})
    assert Integration.objects.get().secret == "PD made this one"


def test_rotating_an_alert_sources_secret_makes_one_of_its_kind(admin_client):
    am = integration_save_secret(name="prod-alerts", kind="alertmanager")[0]
    response = admin_client.post(reverse("admin:automation_integration_rotate_secret", args=[am.pk]))
    am.refresh_from_db()
    assert shown_secret_any(response) == am.secret and not am.secret.startswith("whsec_")


def test_the_delivery_log_shows_and_filters_the_source(admin_client, acme):
    am = integration_save_secret(name="prod-alerts", kind="alertmanager")[0]
    WebhookDelivery.objects.create(
        integration=am,
        source="alertmanager",
        webhook_id="f" * 64,
        outcome="accepted",
        status_code=201,
        answer={"created": [1, 2], "updated": [3], "unchanged": []},
    )
    WebhookDelivery.objects.create(integration=acme, webhook_id="std-1", outcome="accepted", status_code=201)
    url = reverse("admin:automation_webhookdelivery_changelist")
    page = admin_client.get(url, {"source__exact": "alertmanager"}).content.decode()
    assert "f" * 64 in page and "2 created, 1 updated" in page and "std-1" not in page
