"""No input makes a 500: Schemathesis against /api/schema, once per role, with its default checks.

The engine is Schemathesis's own (the CLI's phases: examples, coverage,
fuzzing, stateful), run in-process against the WSGI application and the
test database, derandomized (a fixed seed) and bounded (a few examples per
operation). Every default check is on: server errors, status code, content
type, headers and response-schema conformance, negative data rejected,
positive data accepted, missing or bad auth refused, use after free,
resource availability. Two are narrowed, each to refusals the OpenAPI schema
cannot state (see the checks below); failing them for anything else fails
the test.

Run `pytest tickets/tests/test_api_fuzz.py -s` to see the requests sent and
the failures per role.
"""

import gc
import json
import time

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token
from schemathesis.engine import events, from_schema, observations
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.transport.wsgi import WSGITransport

from automation import signatures
from automation.models import WebhookDelivery
from automation.views import IntegrationRateThrottle, RefusalRateThrottle
from automation.webhook import integration_save_secret
from tickets.api.exceptions import IdempotencyKeyReused
from tickets.api.views import TicketViewSet
from tickets.filters import TicketFilterForm
from tickets.invariants import ASSIGNMENT_RULE
from tickets.tests.factories import TicketFactory

# The engine sends requests from a worker thread with its own database connection, so the
# data it needs must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("admin", "analyst", "support", "anonymous")
PERSONAS = {"admin": "admin_user", "analyst": "analyst_user", "support": "support_user"}
SEED = 20261128
# Hypothesis examples per operation and phase: enough to reach every branch of the API with
# the coverage phase's boundary values, few enough for the suite (under 10 s per role).
MAX_EXAMPLES = 10
INVERTED_RANGE = {"created_before": [TicketFilterForm.INVERTED_RANGE]}
# The secret the webhook deliveries are signed with, while a fuzz run is on.
SIGNING: dict[str, str] = {}


# Keys of rules and channels whose validity depends on other values or on stored rows: a rule's
# conditions and actions are checked together (enum values per field, the business rule, channels
# that exist), names are unique, and a channel's target and secret depend on its kind.
SEMANTIC_KEYS = {
    "/api/rules": {"conditions", "actions", "name"},
    "/api/channels": {"target", "secret", "name"},
}


def refused_for_a_reason_the_schema_cannot_state(status_code: int, body, path: str = "") -> bool:
    """A refusal of a schema-valid request that depends on stored state or on two values together.

    OpenAPI describes each value alone: it cannot say that a low-priority
    ticket may not be in progress unassigned (the ticket's other, possibly
    stored, fields decide), that `created_before` may not precede
    `created_after`, that `If-Match` must name the stored version (412),
    that an `Idempotency-Key` may not be reused for another body (422), or
    what SEMANTIC_KEYS says of rules and channels.
    """
    if status_code == 412:
        return True
    semantic = next((keys for prefix, keys in SEMANTIC_KEYS.items() if path.startswith(prefix)), None)
    if status_code == 400 and semantic and isinstance(body, dict) and body and set(body) <= semantic:
        return True
    if status_code == 422:
        return body == {"detail": IdempotencyKeyReused.default_detail}
    if status_code == 400 and isinstance(body, dict) and body:
        return body == INVERTED_RANGE or all(messages == [ASSIGNMENT_RULE] for messages in body.values())
    return False


@schemathesis.check
def positive_data_is_accepted_unless_state_forbids(ctx, response, case):
    """Schemathesis's `positive_data_acceptance`, but for the refusals described just above."""
    try:
        return schemathesis.checks.positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        body = response.json() if response.content else None
        if refused_for_a_reason_the_schema_cannot_state(response.status_code, body, case.operation.path):
            return None
        raise


@schemathesis.check
def deleted_tickets_are_gone_but_their_trail_stays(ctx, response, case):
    """Schemathesis's `use_after_free`, but for the audit trail, which outlives its ticket by design.

    By design, deleting a ticket keeps its trail; `GET /api/tickets/{id}/history`
    answers after the delete, ending with the `deleted` event.
    """
    if case.operation.path == "/api/tickets/{id}/history":
        return None
    return schemathesis.checks.use_after_free(ctx, response, case)


@schemathesis.hook
def before_call(context, case, kwargs):
    """Sign the webhook deliveries that Schemathesis means to be valid, so they reach the payload checks.

    A signature covers the body's exact bytes, which no schema can generate;
    this signs what the transport will send (Werkzeug's `json.dumps`) with a
    fresh timestamp. Deliveries meant to be invalid keep their headers.
    """
    secret = SIGNING.get("secret")
    meta = case.meta
    if secret is None or case.operation.path != "/webhook/ticket" or meta is None:
        return
    if not meta.generation.mode.is_positive or case.headers is None:
        return
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    timestamp = int(time.time())
    webhook_id = str(case.headers.get("webhook-id", ""))
    case.headers["webhook-timestamp"] = str(timestamp)
    case.headers["webhook-signature"] = signatures.sign(secret, webhook_id, timestamp, body)


@pytest.fixture
def api_under_test(monkeypatch):
    """The WSGI application with throttles off (they would answer 429 to most of the run).

    Schemathesis 4.32.5 passes its HTTP-only settings (max_redirects, verify,
    cert) to Werkzeug when it re-sends a request without credentials for the
    `ignored_auth` check in-process, which fails before the request is made;
    they have no meaning in-process, so they are dropped here.

    Its engine also reads the strings of successful answers as links, and
    stops the whole run on one that `urlsplit` cannot parse, such as an
    `external_url` of `http://[` (which the API takes: a link is only shown,
    never fetched). Such a string is no link to follow, so it is skipped.
    """
    monkeypatch.setitem(TicketViewSet.throttle_classes[0].THROTTLE_RATES, "api", None)
    monkeypatch.setitem(IntegrationRateThrottle.THROTTLE_RATES, "webhook", None)
    monkeypatch.setitem(RefusalRateThrottle.THROTTLE_RATES, "webhook_refusals", None)
    send = WSGITransport.send

    def send_in_process(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_in_process)
    same_origin_path = observations._same_origin_path

    def same_origin_path_or_none(value, origin):
        try:
            return same_origin_path(value, origin)
        except ValueError:
            return None

    monkeypatch.setattr(observations, "_same_origin_path", same_origin_path_or_none)
    monkeypatch.setitem(SIGNING, "secret", integration_save_secret(name="fuzz")[0].secret)
    return get_wsgi_application()


def credentials(request, role: str) -> dict:
    if role == "anonymous":
        return {}
    user = request.getfixturevalue(PERSONAS[role])
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def fuzz(app, headers: dict) -> tuple[int, list[str], list[str]]:
    """Run every phase once; (requests sent, failures, engine errors)."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": headers,
            "cache": {"enabled": False},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "use_after_free": {"enabled": False},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema", app, config=config)
    sent, failures, errors = 0, [], []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            sent += len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failures.append(
                            f"{check.name}: {check.failure_info.failure.title}\n"
                            f"{check.failure_info.code_sample}\n{check.failure_info.failure.message}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(f"{event.label}: {event.info.format()}" if hasattr(event, "info") else repr(event))
    # The engine's worker threads have ended, but their database connections close only when
    # the garbage collector frees them, and PostgreSQL keeps a test database that is in use.
    gc.collect()
    return sent, failures, errors


@pytest.mark.parametrize("role", ROLES)
def test_no_request_the_schema_allows_or_forbids_makes_the_api_misbehave(request, api_under_test, role):
    TicketFactory.create_batch(2)
    TicketFactory(priority="high", status="in_progress", assigned_to="Senior Analyst")
    TicketFactory(priority="low", status="closed")
    sent, failures, errors = fuzz(api_under_test, credentials(request, role))
    print(f"\nschemathesis as {role}: {sent} requests, {len(failures)} failures, {len(errors)} errors")
    assert sent > 300
    assert WebhookDelivery.objects.filter(outcome="accepted").exists()  # signed ones got through
    assert errors == []
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
