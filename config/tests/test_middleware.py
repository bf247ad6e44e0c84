"""The body-size limit for chunked bodies (no Content-Length), through the whole WSGI stack."""

import io
import json
import sys
import time

import pytest
from django.test.client import ClientHandler
from rest_framework.authtoken.models import Token

from automation import signatures
from automation.models import WebhookDelivery
from automation.views import WebhookView
from automation.webhook import integration_save_secret
from tickets.models import Ticket
from tickets.tests.stored import nothing_stored, stored_json, stored_state

pytestmark = pytest.mark.django_db


def send_chunked(path: str, body: bytes, *, terminated: bool = True, **headers) -> tuple[int, dict]:
    """Call the application as gunicorn does for `Transfer-Encoding: chunked`: de-chunked input, no length."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http", "wsgi.input_terminated": terminated,
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }  # fmt: skip
    response = ClientHandler()(environ)
    return response.status_code, json.loads(response.content or b"null")


@pytest.fixture
def token(admin_user) -> str:
    return "Token " + Token.objects.create(user=admin_user).key


def test_a_chunked_body_is_read_not_lost(token):
    status, body = send_chunked(
        "/api/tickets", json.dumps({"title": "Chunked"}).encode(), authorization=token
    )
    assert status == 201 and body["title"] == "Chunked"
    assert Ticket.objects.get().title == "Chunked"
    assert body == stored_json(body["id"])


def test_a_chunked_body_over_the_limit_is_413(token, settings):
    big = json.dumps({"title": "Big", "description": "x" * settings.TRIAGE_MAX_BODY_BYTES}).encode()
    status, body = send_chunked("/api/tickets", big, authorization=token)
    assert status == 413 and "limit" in body["detail"]
    assert stored_state() == nothing_stored()


def test_a_chunked_body_exactly_at_the_limit_is_fine(token, settings):
    padding = settings.TRIAGE_MAX_BODY_BYTES - len(json.dumps({"title": "Edge", "description": ""}))
    exact = json.dumps({"title": "Edge", "description": "x" * padding}).encode()
    assert len(exact) == settings.TRIAGE_MAX_BODY_BYTES
    status, body = send_chunked("/api/tickets", exact, authorization=token)
    assert status == 201
    assert body == stored_json(body["id"]) and len(body["description"]) == padding


def test_a_signed_chunked_delivery_verifies_and_an_oversized_one_is_logged():
    acme, _ = integration_save_secret(name="acme")
    body = json.dumps({"title": "Chunked delivery"}).encode()
    timestamp = int(time.time())
    headers = {
        "webhook-id": "msg_c", "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures.sign(acme.secret, "msg_c", timestamp, body),
    }  # fmt: skip
    status, answer = send_chunked("/webhook/ticket", body, **headers)
    assert status == 201 and answer == stored_json(answer["id"])
    accepted = WebhookDelivery.objects.get(webhook_id="msg_c")
    assert (accepted.outcome, accepted.integration, accepted.ticket_id) == ("accepted", acme, answer["id"])
    status, _ = send_chunked(
        "/webhook/ticket", b"x" * (2 * 1024 * 1024), **{**headers, "webhook-id": "msg_big"}
    )
    assert status == 413
    refused = WebhookDelivery.objects.get(webhook_id="msg_big")
    assert (refused.outcome, refused.status_code, refused.integration) == ("rejected", 413, None)
    assert "chunked" in refused.reason
    assert Ticket.objects.count() == 1


def test_a_failing_refusal_hook_still_answers_413(monkeypatch, client, settings):
    def broken(request, length):
        raise RuntimeError("log is down")

    monkeypatch.setattr(WebhookView, "on_body_too_large", broken)
    response = client.post(
        "/webhook/ticket", "x" * (settings.TRIAGE_MAX_BODY_BYTES + 1), content_type="text/plain"
    )
    assert response.status_code == 413
    assert WebhookDelivery.objects.count() == 0
    assert stored_state() == nothing_stored()


def test_an_oversized_body_to_an_unknown_path_is_413(client, settings):
    response = client.post("/nowhere", "x" * (settings.TRIAGE_MAX_BODY_BYTES + 1), content_type="text/plain")
    assert response.status_code == 413
    assert stored_state() == nothing_stored() and not WebhookDelivery.objects.exists()


def test_a_body_found_too_big_only_while_reading_is_413(settings):
    """Django's own limit fires while a body is read (request.body); the webhook answers 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    status, _ = send_chunked("/webhook/ticket", b"x" * 4000, **{"webhook-id": "msg_mid"})
    assert status == 413
    assert WebhookDelivery.objects.get().status_code == 413
    assert stored_state() == nothing_stored()


def test_the_api_answers_request_data_too_big_with_413():
    from django.core.exceptions import RequestDataTooBig

    from tickets.api.exceptions import exception_handler

    response = exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413 and "limit" in response.data["detail"]
