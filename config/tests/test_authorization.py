"""Who may do what, tested whole: every endpoint x method x role, in one table.

This table is the single source of truth for access (the roles table of
the product, field by field). Columns: the three roles, a signed-in user with no role,
anonymous, and a bad token. Each client signs in both ways the app knows (a
session for pages, a token for the API); the bad-token client has only a
token that matches no key. For every row the test checks the status, that
a refused request wrote nothing, what a 401/403 from the API looks like,
and for lists, what the role sees.
"""

from dataclasses import dataclass, field

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automation.models import AutomationLog, Integration, Rule, WebhookDelivery
from tickets import roles
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ROLES = ("admin", "analyst", "support", "norole", "anonymous", "bad_token")
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
    Row("automation log", "GET", "/admin/automation/automationlog/", STAFF_PAGE, redirect=LOGIN),
    Row("integrations", "GET", "/admin/automation/integration/", ADMIN_ONLY_PAGE, redirect=LOGIN),
    Row("webhook deliveries", "GET", "/admin/automation/webhookdelivery/", ADMIN_ONLY_PAGE, redirect=LOGIN),
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


def stored_state() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        list(Ticket.objects.order_by("id").values()),
        TicketEvent.objects.count(),
        list(Rule.objects.order_by("id").values()),
        AutomationLog.objects.count(),
        Integration.objects.count(),
        WebhookDelivery.objects.filter(outcome="accepted").count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
def test_the_access_matrix(client_for, row: Row, role: str):
    ticket = TicketFactory(title="Printer on fire", priority="medium", assigned_to="Dana")
    TicketFactory(title="Second ticket")
    path = row.path.format(ticket=ticket.pk, rule=Rule.objects.order_by("id").first().pk)
    client = client_for(role)
    before = stored_state()
    response = client.generic(row.method, path, _json(row.body), content_type="application/json")
    expected = row.statuses[ROLES.index(role)]
    assert response.status_code == expected, (row.name, role, response.content[:300])
    if expected >= 400 or (expected == 200 and row.method == "POST"):
        assert stored_state() == before  # a refusal (or a re-shown admin form) wrote nothing
    if expected in (401, 403) and path.startswith("/api/tickets"):
        assert set(response.json()) == {"detail"}
        if expected == 401:
            assert response["WWW-Authenticate"] == "Token"
    if expected == 302:
        assert response["Location"].startswith(row.redirect)
    if row.lists and expected == 200:
        _assert_lists_every_ticket(response)


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
    covered = {(row.method, row.path.replace("{ticket}", "{id}")) for row in TABLE}
    assert documented <= covered, documented - covered
