"""Who may do what, tested whole: every endpoint x method x role, in one table.

This table is the single source of truth for access (the roles table of
the product, field by field). Columns: the three roles, a signed-in user with no role,
anonymous, and a bad token. Each client signs in both ways the app knows (a
session for pages, a token for the API); the bad-token client has only a
token that matches no key. For every row the test checks the status, that
a refused request wrote nothing, what a 401/403 from the API looks like,
for lists, what the role sees, and that an accepted write stored what it
answered, in the writer's name.
"""

from dataclasses import dataclass, field

import pytest
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automation.models import Integration, Rule, RuleAction, RuleCondition, WebhookDelivery
from notifications.models import Channel, Delivery
from tickets import roles
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import stored_json, stored_row, stored_state

pytestmark = pytest.mark.django_db

ROLES = ("admin", "analyst", "support", "norole", "anonymous", "bad_token")
USERNAMES = {"admin": "alice", "analyst": "bob", "support": "carol"}
LOGIN = "/admin/login/"


@dataclass(frozen=True)
class Row:
    """One request and the status each role gets (`lists`: every ticket must be in the answer)."""

    name: str
    method: str
    path: str
    statuses: tuple[int, int, int, int, int, int]  # in the order of ROLES
    body: dict = field(default_factory=dict)
    lists: bool = False
    redirect: str | None = None  # where a 302 must go


API, ALL_ROLES, EVERYONE = (200, 200, 200, 403, 401, 401), (201, 201, 201, 403, 401, 401), (200,) * 6
ADMIN_ONLY_PAGE, STAFF_PAGE = (200, 403, 302, 302, 302, 302), (200, 200, 302, 302, 302, 302)
TICKET, RULE = "/api/tickets/{ticket}", "/admin/automation/rule/{rule}/change/"
# The endpoints beside tickets: analysts read, admins write (and retry, and test), support is refused.
READ, CREATE = (200, 200, 403, 403, 401, 401), (201, 403, 403, 403, 401, 401)
CHANGE, DELETE = (200, 403, 403, 403, 401, 401), (204, 403, 403, 403, 401, 401)
SEND = (202, 403, 403, 403, 401, 401)
JSON_APIS = ("/api/tickets", "/api/rules", "/api/channels", "/api/notifications")
NEW_RULE = {"name": "New rule", "actions": [{"type": "set", "field": "assigned_to", "value": "Ops"}]}
NEW_CHANNEL = {"name": "new", "kind": "email", "target": "ops@example.com"}
ADMIN_TICKET = "/admin/tickets/ticket/{ticket}"

TABLE = [
    # The API (token). Field-level rules: support may not set or change priority/assigned_to,
    # except sending the stored value back; only admins delete.
    Row("list tickets", "GET", "/api/tickets", API, lists=True),
    Row("create", "POST", "/api/tickets", ALL_ROLES, {"title": "New"}),
    Row("create with a priority", "POST", "/api/tickets", ALL_ROLES, {"title": "New", "priority": "high"}),
    Row("create with an assignee", "POST", "/api/tickets", (201, 201, 403, 403, 401, 401),
        {"title": "New", "assigned_to": "Eve"}),
    Row("read", "GET", TICKET, API),
    Row("history", "GET", TICKET + "/history", API),
    Row("patch title, description, status", "PATCH", TICKET, API,
        {"title": "Renamed", "description": "x", "status": "closed"}),
    Row("patch priority", "PATCH", TICKET, (200, 200, 403, 403, 401, 401), {"priority": "low"}),
    Row("patch assigned_to", "PATCH", TICKET, (200, 200, 403, 403, 401, 401), {"assigned_to": "Eve"}),
    Row("put with priority and assignee as stored", "PUT", TICKET, API,
        {"title": "Fixed", "priority": "medium", "assigned_to": " Dana ", "status": "closed"}),
    Row("put a new assignee", "PUT", TICKET, (200, 200, 403, 403, 401, 401),
        {"title": "Printer on fire", "assigned_to": "Eve"}),
    Row("delete", "DELETE", TICKET, (204, 403, 403, 403, 401, 401)),
    # A token is the API's credential: a bad one is refused even where anyone may read.
    Row("schema", "GET", "/api/schema", (200, 200, 200, 200, 200, 401)),
    Row("docs", "GET", "/api/docs", (200, 200, 200, 200, 200, 401)),
    # Signed by integrations, not by users: no role or token makes a delivery valid.
    Row("webhook, unsigned", "POST", "/webhook/ticket", (401,) * 6, {"title": "x"}),
    Row("health check", "GET", "/healthz", EVERYONE),
    Row("worker health (no worker ran)", "GET", "/healthz/worker", (503,) * 6),
    # Rules, channels and the notifications log.
    Row("list rules", "GET", "/api/rules", READ),
    Row("create a rule", "POST", "/api/rules", CREATE, NEW_RULE),
    Row("read a rule", "GET", "/api/rules/{rule}", READ),
    Row("replace a rule", "PUT", "/api/rules/{rule}", CHANGE, {**NEW_RULE, "name": "Replaced"}),
    Row("change a rule", "PATCH", "/api/rules/{rule}", CHANGE, {"enabled": False}),
    Row("delete a rule", "DELETE", "/api/rules/{rule}", DELETE),
    Row("backtest a rule", "POST", "/api/rules/backtest", READ, {"rule": NEW_RULE, "days": 30}),
    Row("list channels", "GET", "/api/channels", READ),
    Row("create a channel", "POST", "/api/channels", CREATE, NEW_CHANNEL),
    Row("read a channel", "GET", "/api/channels/{channel}", READ),
    Row("replace a channel", "PUT", "/api/channels/{channel}", CHANGE, {**NEW_CHANNEL, "name": "renamed"}),
    Row("change a channel", "PATCH", "/api/channels/{channel}", CHANGE, {"active": False}),
    Row("delete a channel", "DELETE", "/api/channels/{channel}", DELETE),
    Row("send a test message", "POST", "/api/channels/{channel}/test", SEND),
    Row("notifications log", "GET", "/api/notifications", READ),
    Row("one delivery", "GET", "/api/notifications/{delivery}", READ),
    Row("retry a delivery", "POST", "/api/notifications/{delivery}/retry", SEND),
    # The dashboard (session for the page; session or token for its feed).
    Row("dashboard", "GET", "/dashboard/", (200, 200, 200, 403, 302, 302), redirect="/accounts/login/"),
    Row("dashboard data", "GET", "/dashboard/data", API),
    Row("volume anomalies", "GET", "/api/insight/anomalies", API),
    # Django admin (session): analysts work tickets and read rules and logs; support has no admin.
    Row("admin index", "GET", "/admin/", STAFF_PAGE, redirect=LOGIN),
    Row("tickets changelist", "GET", "/admin/tickets/ticket/", STAFF_PAGE, lists=True, redirect=LOGIN),
    Row("ticket change page", "GET", ADMIN_TICKET + "/change/", STAFF_PAGE, redirect=LOGIN),
    Row("ticket delete page", "GET", ADMIN_TICKET + "/delete/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("audit trail", "GET", "/admin/tickets/ticketevent/", STAFF_PAGE, redirect=LOGIN),
    Row("rules changelist", "GET", "/admin/automation/rule/", STAFF_PAGE, redirect=LOGIN),
    Row("rule change page", "GET", RULE, STAFF_PAGE, redirect=LOGIN),
    Row("rule change (post)", "POST", RULE, (200, 403, 302, 302, 302, 302), {"name": ""}, redirect=LOGIN),
    Row("rule add page", "GET", "/admin/automation/rule/add/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("rule backtest page", "GET", "/admin/automation/rule/{rule}/backtest/", STAFF_PAGE, redirect=LOGIN),
    Row("automation log", "GET", "/admin/automation/automationlog/", STAFF_PAGE, redirect=LOGIN),
    Row("integrations", "GET", "/admin/automation/integration/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("webhook deliveries", "GET", "/admin/automation/webhookdelivery/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("notification channels", "GET", "/admin/notifications/channel/", STAFF_PAGE, redirect=LOGIN),
    Row("channel add page", "GET", "/admin/notifications/channel/add/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("notification deliveries", "GET", "/admin/notifications/delivery/", STAFF_PAGE, redirect=LOGIN),
    Row("users", "GET", "/admin/auth/user/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("tokens", "GET", "/admin/authtoken/tokenproxy/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("regression runs", "GET", "/admin/qa/regressionrun/", STAFF_PAGE, redirect=LOGIN),
    Row("start a regression run", "GET", "/admin/qa/regressionrun/start/", STAFF_PAGE, redirect=LOGIN),
]  # fmt: skip


@pytest.fixture
def client_for(request, django_user_model):
    """A client signed in as `role`, with a session (pages) and a token (the API)."""
    from conftest import make_user

    def make(role: str) -> APIClient:
        client = APIClient()
        if role == "bad_token":
            client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
        elif role == "norole":
            user = make_user(django_user_model, "dave", None)
        elif role != "anonymous":
            user = request.getfixturevalue(
                {"admin": "admin_user", "analyst": "analyst_user"}.get(role, "support_user")
            )
        if role not in ("anonymous", "bad_token"):
            client.force_login(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


def everything_stored() -> dict[str, list[dict]]:
    """Everything a refused request must leave as it was, row by row (a rejected delivery's row aside)."""
    return {
        **stored_state(),
        "rules": list(Rule.objects.order_by("id").values()),
        "rule_conditions": list(RuleCondition.objects.order_by("id").values()),
        "rule_actions": list(RuleAction.objects.order_by("id").values()),
        "integrations": list(Integration.objects.order_by("id").values()),
        "accepted_deliveries": list(WebhookDelivery.objects.filter(outcome="accepted").values()),
        "channels": list(Channel.objects.order_by("id").values()),
        "notifications": list(Delivery.objects.order_by("id").values()),
        "queued_tasks": list(DBTaskResult.objects.order_by("id").values("id", "status", "args_kwargs")),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
def test_the_access_matrix(client_for, row: Row, role: str):
    ticket = TicketFactory(title="Printer on fire", priority="medium", assigned_to="Dana")
    TicketFactory(title="Second ticket")
    channel = Channel.objects.create(name="ops", kind="email", target="ops@example.com")
    delivery = Delivery.objects.create(channel=channel, channel_name="ops", event="test", payload={},
                                       status="failed", last_error="HTTP 500")  # fmt: skip
    rule = Rule.objects.order_by("id").first()
    path = row.path.format(ticket=ticket.pk, rule=rule.pk, channel=channel.pk, delivery=delivery.pk)
    client = client_for(role)
    before = everything_stored()
    response = client.generic(row.method, path, _json(row.body), content_type="application/json")
    expected = row.statuses[ROLES.index(role)]
    assert response.status_code == expected, (row.name, role, response.content[:300])
    if expected >= 400 or expected == 302 or (expected == 200 and row.method == "POST"):
        assert everything_stored() == before  # a refusal (or a re-shown admin form) wrote nothing
    elif row.method != "GET":
        _assert_stored_as_answered(row, role, response, ticket.pk, before)
    if expected in (401, 403) and path.startswith(JSON_APIS):
        assert set(response.json()) == {"detail"}
        if expected == 401:
            assert response["WWW-Authenticate"] == "Token"
    if expected == 302:
        assert response["Location"].startswith(row.redirect)
    if row.lists and expected == 200:
        _assert_lists_every_ticket(response)


def _assert_stored_as_answered(row: Row, role: str, response, ticket_id: int, before: dict) -> None:
    """An accepted API write: the ticket as stored is the answer, and its first new event names the writer.

    Writes to the other APIs (rules, channels, notifications) must have changed what is stored.
    """
    if not row.path.startswith("/api/tickets"):
        assert everything_stored() != before, row.name
        return
    if row.method == "DELETE":
        assert stored_row(ticket_id) is None
        kind = "deleted"
    else:
        ticket_id = response.json()["id"]
        assert response.json() == stored_json(ticket_id)
        kind = "created" if row.method == "POST" else "updated"
    first_new_event = everything_stored()["ticket_events"][len(before["ticket_events"])]
    assert (first_new_event["ticket_id"], first_new_event["kind"]) == (ticket_id, kind)
    assert (first_new_event["actor_name"], first_new_event["source"]) == (USERNAMES[role], "api")


def _json(body: dict) -> str:
    import json

    return json.dumps(body) if body else ""


def _assert_lists_every_ticket(response) -> None:
    """Every role that may list tickets sees all of them (no per-role filtering of objects)."""
    if response["Content-Type"].startswith("application/json"):
        listed = {ticket["id"] for ticket in response.json()["results"]}
        assert listed == set(Ticket.objects.values_list("id", flat=True))
    else:
        page = response.content.decode()
        assert all(title in page for title in Ticket.objects.values_list("title", flat=True))


def test_the_table_covers_every_role_and_the_whole_api(client):
    """Each role has a group; every API path and method of the schema has a row."""
    assert {roles.ADMIN, roles.ANALYST, roles.SUPPORT} <= set(roles.ROLES)
    schema = client.get("/api/schema").json()["paths"]
    documented = {(method.upper(), path) for path, item in schema.items() for method in item}
    placeholders = ("{ticket}", "{rule}", "{channel}", "{delivery}")
    covered = set()
    for row in TABLE:
        path = row.path
        for placeholder in placeholders:
            path = path.replace(placeholder, "{id}")
        covered.add((row.method, path))
    assert documented <= covered, documented - covered
