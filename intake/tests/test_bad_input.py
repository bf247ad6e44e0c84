"""Bad deliveries get a named 4xx, leave a rejected-delivery record, and change no ticket.

Each case starts from a ticket the alert sources already keep (so a bad delivery has something it could
wrongly change), sends one bad delivery and reads every table back.
"""

import copy
import json

import pytest
from django.test import override_settings

from automation.integrations import integration_save_secret
from automation.models import WebhookDelivery
from intake.models import ExternalTicket
from intake.tests.senders import body_of, fixture, to_alertmanager, to_github, to_pagerduty
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def stored() -> tuple:
    """Every row a delivery could change, but the delivery log."""
    return (
        list(Ticket.objects.order_by("id").values()),
        list(TicketEvent.objects.order_by("id").values_list("id", flat=True)),
        list(ExternalTicket.objects.order_by("id").values()),
    )


@pytest.fixture
def kept(client, alertmanager, github, pagerduty):
    """One ticket per source, then the delivery log emptied so each case sees its own record."""
    to_alertmanager(client, alertmanager, fixture("alertmanager-firing"))
    to_github(client, github, fixture("github-issues-opened"))
    to_pagerduty(client, pagerduty, fixture("pagerduty-incident-triggered"))
    WebhookDelivery.objects.all().delete()
    return stored()


def resolved_with(change) -> dict:
    payload = fixture("alertmanager-resolved")
    change(payload)
    return payload


def _drop(mapping, key):
    mapping.pop(key)


REQUIRED = ["This field is required."]
TIMESTAMP = ["Must be an RFC 3339 timestamp with a time zone offset, such as 2026-12-02T10:00:00Z."]
VERSION = ["Only version 4 of Alertmanager's webhook payload is read, not '3'."]
TOO_LONG = ["Ensure this field has no more than 200 characters."]
NOT_A_LIST = {"non_field_errors": ['Expected a list of items but got type "dict".']}


def first(errors: dict) -> dict:
    """Errors of the group's first alert (the second is fine)."""
    return {"alerts": [errors, {}]}


ALERTMANAGER_CASES = [
    ("unsupported version", lambda p: p.update(version="3"), {"version": VERSION}),
    ("no version", lambda p: _drop(p, "version"), {"version": REQUIRED}),
    ("missing fingerprint", lambda p: _drop(p["alerts"][0], "fingerprint"), first({"fingerprint": REQUIRED})),
    (
        "blank fingerprint",
        lambda p: p["alerts"][0].update(fingerprint="  "),
        first({"fingerprint": ["This field may not be blank."]}),
    ),
    (
        "fingerprint too long",
        lambda p: p["alerts"][0].update(fingerprint="f" * 201),
        first({"fingerprint": TOO_LONG}),
    ),
    (
        "malformed startsAt",
        lambda p: p["alerts"][0].update(startsAt="yesterday"),
        first({"startsAt": TIMESTAMP}),
    ),
    (
        "impossible endsAt",
        lambda p: p["alerts"][0].update(endsAt="2026-13-40T00:00:00Z"),
        first({"endsAt": TIMESTAMP}),
    ),
    (
        "timestamp without offset",
        lambda p: p["alerts"][0].update(startsAt="2026-12-02T10:00:00"),
        first({"startsAt": TIMESTAMP}),
    ),
    (
        "unknown status",
        lambda p: p["alerts"][0].update(status="pending"),
        first({"status": ['"pending" is not a valid choice.']}),
    ),
    (
        "labels not strings",
        lambda p: p["alerts"][0].update(labels={"severity": 3}),
        first({"labels": ["The value of 'severity' must be a string, not a number."]}),
    ),
    ("alerts not a list", lambda p: p.update(alerts={"a": 1}), {"alerts": NOT_A_LIST}),
]


@pytest.mark.parametrize(
    "case, change, errors", ALERTMANAGER_CASES, ids=[case for case, _, _ in ALERTMANAGER_CASES]
)
def test_a_bad_alertmanager_payload_is_400_naming_the_field(client, alertmanager, kept, case, change, errors):
    response = to_alertmanager(client, alertmanager, resolved_with(change))
    assert response.status_code == 400
    assert response.json() == errors
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.source, delivery.integration) == (
        "rejected", 400, "alertmanager", alertmanager
    )  # fmt: skip
    assert delivery.reason.startswith("invalid payload: ") and len(delivery.webhook_id) == 64


@pytest.mark.parametrize(
    "body, detail",
    [
        (b"{not json", "JSON parse error - Expecting property name enclosed in double quotes"),
        (b"\xff\xfe", "The body is not UTF-8 text."),
        (b'{"version": NaN}', "JSON parse error - NaN is not valid JSON"),
        (b"[" * 100_000, "JSON parse error - the document is nested too deeply."),
        (b'["version", "4"]', "The body must be a JSON object (Alertmanager's payload version 4)."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(client, alertmanager, kept, body, detail):
    response = to_alertmanager(client, alertmanager, body)
    assert response.status_code == 400 and response.json()["detail"].startswith(detail)
    assert stored() == kept
    assert WebhookDelivery.objects.get().outcome == "rejected"


ASCII = ["Must be 1 to 255 printable ASCII characters."]
HEADER_REQUIRED = ["This header is required."]
GITHUB_CASES = [
    ("no event header", {"X-GitHub-Event": ""}, None, {"X-GitHub-Event": HEADER_REQUIRED}),
    ("no delivery header", {"X-GitHub-Delivery": ""}, None, {"X-GitHub-Delivery": HEADER_REQUIRED}),
    ("delivery with spaces", {"X-GitHub-Delivery": "a b"}, None, {"X-GitHub-Delivery": ASCII}),
    ("issue without number", {}, lambda p: _drop(p["issue"], "number"), {"issue": {"number": REQUIRED}}),
    (
        "title not a string",
        {},
        lambda p: p["issue"].update(title=["x"]),
        {"issue": {"title": ["Must be a string, not a list."]}},
    ),
    ("no repository", {}, lambda p: _drop(p, "repository"), {"repository": REQUIRED}),
    (
        "action not a string",
        {},
        lambda p: p.update(action=1),
        {"action": ["Must be a string, not a number."]},
    ),
]


@pytest.mark.parametrize(
    "case, headers, change, errors", GITHUB_CASES, ids=[case for case, *_ in GITHUB_CASES]
)
def test_a_bad_github_delivery_is_400_naming_what_is_wrong(
    client, github, kept, case, headers, change, errors
):
    payload = fixture("github-issues-closed")
    if change:
        change(payload)
    response = to_github(client, github, payload, headers=headers)
    assert response.status_code == 400 and response.json() == errors
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.source, delivery.integration) == ("rejected", "github", github)


PAGERDUTY_CASES = [
    ("no event", lambda p: _drop(p, "event"), {"event": REQUIRED}),
    ("event not an object", lambda p: p.update(event=[]), {"event": ["Must be an object, not a list."]}),
    ("no event id", lambda p: _drop(p["event"], "id"), {"event": {"id": REQUIRED}}),
    ("no incident id", lambda p: _drop(p["event"]["data"], "id"), {"event": {"data": {"id": REQUIRED}}}),
    (
        "agent not an object",
        lambda p: p["event"].update(agent="Robin"),
        {"event": {"agent": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}}},
    ),
]


@pytest.mark.parametrize("case, change, errors", PAGERDUTY_CASES, ids=[case for case, *_ in PAGERDUTY_CASES])
def test_a_bad_pagerduty_payload_is_400_naming_the_field(client, pagerduty, kept, case, change, errors):
    payload = fixture("pagerduty-incident-resolved")
    change(payload)
    response = to_pagerduty(client, pagerduty, payload)
    assert response.status_code == 400 and response.json() == errors
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.source, delivery.integration) == ("rejected", "pagerduty", pagerduty)


def test_an_unknown_source_is_404(client, kept):
    response = client.post("/webhook/opsgenie/prod", b"{}", content_type="application/json")
    assert response.status_code == 404
    sources = "alertmanager, github, pagerduty"
    assert response.json() == {
        "detail": f"There is no alert source called 'opsgenie'; the sources are {sources}."
    }
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.source, delivery.integration) == (
        "rejected", 404, "", None
    )  # fmt: skip
    assert delivery.reason == "unknown source 'opsgenie'"


def test_an_unknown_integration_name_is_404(client, alertmanager, kept):
    payload = fixture("alertmanager-resolved")
    response = to_alertmanager(client, alertmanager, payload, path="/webhook/alertmanager/staging-alerts")
    assert response.status_code == 404
    assert response.json() == {"detail": "No alertmanager integration is called 'staging-alerts'."}
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.source, delivery.integration, delivery.reason) == (
        "alertmanager", None, "no alertmanager integration 'staging-alerts'"
    )  # fmt: skip


def test_an_integration_of_another_kind_is_404(client, github, kept):
    body = body_of(fixture("alertmanager-resolved"))
    response = client.post(
        f"/webhook/alertmanager/{github.name}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {github.secret}"},
    )
    assert response.status_code == 404 and stored() == kept
    assert WebhookDelivery.objects.get().integration is None


@override_settings(TRIAGE_MAX_BODY_BYTES=4096)
def test_a_body_over_the_size_limit_is_413_and_logged_with_its_integration(client, alertmanager, kept):
    payload = fixture("alertmanager-resolved")
    payload["alerts"][0]["annotations"]["description"] = "x" * 5000
    response = to_alertmanager(client, alertmanager, payload)
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is larger than the limit of 4096 bytes."}
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.source, delivery.integration) == (
        "rejected", 413, "alertmanager", alertmanager
    )  # fmt: skip
    assert delivery.body_bytes > 4096 and "over the size limit" in delivery.reason


def test_a_signature_made_for_another_integration_is_401(client, github, kept):
    other = integration_save_secret(name="acme-web", kind="github")[0]
    response = to_github(client, github, fixture("github-issues-closed"), secret=other.secret)
    assert response.status_code == 401
    assert response.json() == {"detail": "The request's signature or token did not verify."}
    assert stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.integration, delivery.reason) == (
        "rejected", github, "X-Hub-Signature-256 does not match this integration's secret"
    )  # fmt: skip


def test_the_token_of_another_alertmanager_integration_is_401(client, alertmanager, kept):
    other = integration_save_secret(name="staging-alerts", kind="alertmanager")[0]
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"), token=other.secret)
    assert response.status_code == 401 and stored() == kept
    assert WebhookDelivery.objects.get().reason == "the bearer token is not this integration's"


def test_a_pagerduty_signature_with_the_wrong_secret_is_401(client, pagerduty, kept):
    response = to_pagerduty(
        client, pagerduty, fixture("pagerduty-incident-resolved"), secrets=["wrong", "also wrong"]
    )
    assert response.status_code == 401 and stored() == kept
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook_id == ""  # PagerDuty's id is inside a body that did not verify


def test_an_inactive_integration_is_401(client, alertmanager, kept):
    alertmanager.active = False
    alertmanager.save()
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"))
    assert response.status_code == 401 and stored() == kept
    assert WebhookDelivery.objects.get().reason == "integration 'prod-alerts' is inactive"


def test_a_delivery_without_credentials_is_401(client, alertmanager, kept):
    body = json.dumps(fixture("alertmanager-resolved"))
    response = client.post(
        f"/webhook/alertmanager/{alertmanager.name}", body, content_type="application/json"
    )
    assert response.status_code == 401 and stored() == kept
    assert WebhookDelivery.objects.get().reason == "missing header Authorization (Bearer token)"


def test_a_bad_delivery_does_not_use_up_its_delivery_id(client, github, kept):
    bad = copy.deepcopy(fixture("github-issues-closed"))
    bad["issue"].pop("number")
    assert to_github(client, github, bad, delivery="d-7").status_code == 400
    assert to_github(client, github, fixture("github-issues-closed"), delivery="d-7").status_code == 200
    assert Ticket.objects.get(external_id="acme/api#42").status == "closed"
