"""Sending to the alert sources as their senders do: the documented fixtures, signed each sender's way."""

import copy
import json
import uuid
from pathlib import Path

from intake.signatures import github_signature, pagerduty_signature

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> dict:
    """A fixture's payload (a fresh copy): `alertmanager-firing`, `github-issues-opened`, ..."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["payload"])


def body_of(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def to_alertmanager(client, integration, payload, *, token=None, path=None, headers=None):
    """POST as Alertmanager does: JSON, `Authorization: Bearer <token>`."""
    sent = {"Authorization": f"Bearer {integration.secret if token is None else token}", **(headers or {})}
    return client.post(
        path or f"/webhook/alertmanager/{integration.name}",
        body_of(payload),
        content_type="application/json",
        headers=sent,
    )


def to_github(client, integration, payload, *, event="issues", delivery=None, secret=None, headers=None):
    """POST as GitHub does: X-GitHub-Event, X-GitHub-Delivery (a GUID), X-Hub-Signature-256."""
    body = body_of(payload)
    sent = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(secret or integration.secret, body),
        **(headers or {}),
    }
    return client.post(
        f"/webhook/github/{integration.name}", body, content_type="application/json", headers=sent
    )


def to_pagerduty(client, integration, payload, *, secrets=None, headers=None, event_id=None):
    """POST as PagerDuty does: X-PagerDuty-Signature with one v1= entry per signing secret."""
    if event_id is not None:
        payload = copy.deepcopy(payload)
        payload["event"]["id"] = event_id
    body = body_of(payload)
    sent = {
        "X-PagerDuty-Signature": pagerduty_signature(body, *(secrets or [integration.secret])),
        **(headers or {}),
    }
    return client.post(
        f"/webhook/pagerduty/{integration.name}", body, content_type="application/json", headers=sent
    )


def alertmanager_group(count: int, *, prefix: str = "fp", status: str = "firing", **changes) -> dict:
    """A group of `count` alerts shaped as the documented fixture's first alert, fingerprints numbered."""
    payload = fixture("alertmanager-firing")
    model = payload["alerts"][0]
    alerts = []
    for n in range(count):
        alert = copy.deepcopy(model)
        alert["fingerprint"] = f"{prefix}{n:06d}"
        alert["labels"]["instance"] = f"node-{n}:9100"
        alert["status"] = status
        if status == "resolved":
            alert["endsAt"] = "2026-12-02T11:00:00Z"
        alerts.append(alert)
    payload.update(status=status, alerts=alerts, **changes)
    return payload
