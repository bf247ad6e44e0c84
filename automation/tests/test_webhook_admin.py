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
