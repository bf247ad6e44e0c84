"""The dashboard page and /dashboard/data over HTTP: access, filters, errors, ETags, query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import selectors, stats
from dashboard.tests.factories import ticket_at
from qa.models import CheckResult, RegressionRun
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory, create_tickets

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/"
DATA = "/dashboard/data"


def recent(hours: int = 1) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def record_run(passed: bool = True) -> RegressionRun:
    now = timezone.now()
    run = RegressionRun.objects.create(started_at=now, finished_at=now, passed=passed, outcome="passed")
    CheckResult.objects.create(run=run, name="data_consistency", passed=passed, violations=0 if passed else 2)
    return run


# --- Who may see it -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(PAGE + "?status=open")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/%3Fstatus%3Dopen"


def test_anonymous_json_clients_get_401_with_a_reason(client):
    response = client.get(DATA)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("persona", ["admin_client", "analyst_client", "support_client"])
def test_every_role_sees_the_dashboard(persona, request):
    logged_in = request.getfixturevalue(persona)
    assert logged_in.get(PAGE).status_code == 200
    assert logged_in.get(DATA).status_code == 200


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/", "/dashboard/data", "/dashboard/data/"])
def test_both_spellings_answer_without_a_redirect(support_client, path):
    assert support_client.get(path).status_code == 200


def test_the_root_redirects_to_the_dashboard(client):
    assert client.get("/")["Location"] == "/dashboard/"


def test_a_token_reads_the_json_too(client, support_user):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=support_user).key
    assert client.get(DATA, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


# --- The page -------------------------------------------------------------------------------


def test_the_page_serves_every_chart_as_a_canvas_with_its_numbers(support_client):
    ticket_at(recent(), title="Checkout outage", priority="high")
    html = support_client.get(PAGE).content.decode()
    for chart in ("chart-status", "chart-days", "chart-priority", "chart-assignee"):
        assert f'<canvas id="{chart}"' in html
    assert '<script id="dashboard-data" type="application/json">' in html
    assert '<script id="dashboard-config" type="application/json">' in html
    assert "Checkout outage" in html
    assert "<caption>Tickets by status</caption>" in html
    assert '<th scope="row">Senior Analyst</th><td>1</td>' in html


def test_the_page_has_no_inline_script_or_style(support_client):
    ticket_at(recent())
    response = support_client.get(PAGE + "?status=open")
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, attributes
        assert not body.strip() or 'type="application/json"' in attributes
    assert "<style" not in html
    assert " style=" not in html
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_filter_form_shows_the_current_values_and_a_clear_link(support_client):
    week_ago = selectors.local_today() - datetime.timedelta(days=7)
    response = support_client.get(f"{PAGE}?status=open&status=closed&priority=high&created_after={week_ago}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="status" value="open" checked' in html
    assert 'name="status" value="closed" checked' in html
    assert 'name="status" value="in_progress">' in html
    assert 'name="priority" value="high" checked' in html
    assert f'value="{week_ago}"' in html
    assert '<a href="/dashboard/" class="clear">Clear filters</a>' in html


def test_the_page_embeds_the_etag_its_first_poll_will_send(support_client):
    html = support_client.get(PAGE + "?priority=low").content.decode()
    etag = re.search(r'"etag": "\\"([0-9a-f]+)\\""', html).group(1)
    response = support_client.get(DATA + "?priority=low", HTTP_IF_NONE_MATCH=f'"{etag}"')
    assert response.status_code == 304


def test_the_search_fallback_is_said_on_the_page(support_client):
    html = support_client.get(PAGE + "?search=vpn").content.decode()
    assert "counted from the tickets" in html


# --- Bad filters ------------------------------------------------------------------------------

BAD_QUERIES = [
    ("status=pending", "status"),
    ("priority=urgent&priority=low", "priority"),
    ("created_after=yesterday", "created_after"),
    ("created_before=2026-02-30", "created_before"),
    ("created_after=2026-03-05&created_before=2026-03-01", "created_before"),
    ("created_before=0001-01-01", "created_before"),
    ("created_after=9999-12-31", "created_after"),
    ("created_after=1990-01-01", "created_after"),
    ("unassigned=maybe", "unassigned"),
    ("ordering=colour", "ordering"),
    ("assigned_to=" + "x" * 101, "assigned_to"),
    ("search=" + "x" * 201, "search"),
    ("search=%00", "search"),
]


@pytest.mark.parametrize("query, field", BAD_QUERIES)
def test_a_bad_filter_is_explained_on_the_page(support_client, query, field):
    response = support_client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This filter cannot be shown" in html
    assert f"<code>{field}</code>" in html
    assert "<canvas" not in html


@pytest.mark.parametrize("query, field", BAD_QUERIES)
def test_a_bad_filter_is_a_400_keyed_by_parameter_in_json(support_client, query, field):
    response = support_client.get(f"{DATA}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert field in body
    assert all(isinstance(message, str) and message for message in body[field])


def test_the_page_shows_which_value_was_wrong(support_client):
    html = support_client.get(PAGE + "?status=pending&created_after=soon").content.decode()
    assert "pending is not one of the available choices" in html
    assert 'value="soon" aria-invalid="true"' in html


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "status",
                    "priority",
                    "assigned_to",
                    "unassigned",
                    "created_after",
                    "created_before",
                    "search",
                    "ordering",
                    "page",
                ]  # fmt: skip
            ),
            st.one_of(
                st.text(max_size=12),
                st.dates().map(str),
                st.sampled_from(["open", "high", "true", "-priority", "2026-13-01", "0000-01-01"]),
            ),
        ),
        max_size=5,
    )
)
def test_no_query_string_makes_a_500(support_client, params):
    for path in (PAGE, DATA):
        response = support_client.get(path, params)
        assert response.status_code in (200, 400), (params, response.status_code)


# --- JSON -----------------------------------------------------------------------------------


def test_the_json_has_every_key_of_the_spec(support_client):
    ticket = ticket_at(timezone.now(), priority="low")
    body = support_client.get(DATA).json()
    assert {"by_status", "by_priority", "by_assignee", "created_per_day", "latest", "regression"} <= set(body)
    assert body["by_status"] == {"open": 1, "in_progress": 0, "closed": 0}
    assert body["by_assignee"] == {"SupportBot": 1}
    assert len(body["created_per_day"]) == 14
    assert {"date": stats.day_of(ticket.created_at).isoformat(), "count": 1} in body["created_per_day"]
    assert sum(point["count"] for point in body["created_per_day"]) == 1
    assert body["regression"] is None
    assert body["latest"][0]["assigned_to"] == "SupportBot"


def test_unassigned_tickets_are_under_the_empty_key(support_client):
    ticket_at(recent())
    assert support_client.get(DATA).json()["by_assignee"] == {"": 1}


# --- ETag and 304 -----------------------------------------------------------------------------


def etag_of(client, query: str = "") -> str:
    response = client.get(f"{DATA}?{query}")
    assert response.status_code == 200
    return response["ETag"]


def test_an_unchanged_dashboard_answers_304_without_a_body(support_client):
    ticket_at(recent())
    etag = etag_of(support_client)
    response = support_client.get(DATA, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert support_client.get(DATA, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert support_client.get(DATA, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert support_client.get(DATA, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert "private" in response["Cache-Control"]


def test_every_kind_of_write_changes_the_etag(support_client):
    ticket = ticket_at(recent())
    seen = {etag_of(support_client)}

    ticket.title = "Renamed: no count moves, but the feed shows it"
    ticket.save()
    seen.add(etag_of(support_client))
    assert support_client.get(DATA).json()["latest"][0]["title"].startswith("Renamed")

    ticket_at(recent())
    seen.add(etag_of(support_client))
    create_tickets({"title": "Bulk", "created_at": recent()})
    seen.add(etag_of(support_client))
    Ticket.objects.filter(pk=ticket.pk).delete()
    seen.add(etag_of(support_client))
    record_run()
    seen.add(etag_of(support_client))
    assert len(seen) == 6


def test_a_save_that_changes_nothing_keeps_the_etag(support_client):
    ticket = ticket_at(recent())
    etag = etag_of(support_client)
    Ticket.objects.get(pk=ticket.pk).save()
    assert support_client.get(DATA, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_etag_is_the_answers_own_and_moves_only_when_the_answer_does(support_client):
    ticket_at(recent(), priority="high")  # in progress, by the rules
    open_one = ticket_at(recent(), priority="medium")
    etag = etag_of(support_client, "status=in_progress")
    open_one.title = "A write outside the filtered view"
    open_one.save()
    assert etag_of(support_client, "status=in_progress") == etag
    open_one.status = "in_progress"
    open_one.assigned_to = "Dana"
    open_one.save()
    assert etag_of(support_client, "status=in_progress") != etag
    response = support_client.get(DATA + "?status=in_progress")
    assert response["ETag"] == selectors.answer_etag(response.json())


def test_the_etag_depends_on_the_filter_and_the_day(support_client, monkeypatch):
    ticket_at(recent())
    assert etag_of(support_client, "status=open") != etag_of(support_client, "status=closed")
    etag = etag_of(support_client)
    monkeypatch.setattr(selectors, "local_today", lambda: datetime.date(2099, 1, 1))
    assert etag_of(support_client) != etag


# --- Queries per request ------------------------------------------------------------------------


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def many_tickets(count: int) -> None:
    statuses, priorities = ["open", "in_progress", "closed"], ["low", "medium", "high"]
    create_tickets(
        *(
            {
                "title": f"Ticket {n}",
                "priority": priorities[n % 3],
                "status": statuses[n % 3] if n % 3 != 0 else "open",
                "assigned_to": f"Agent {n % 7}" if n % 5 else "",
                "created_at": recent(hours=n % 500),
            }
            for n in range(count)
        )
    )


@pytest.mark.parametrize(
    "path",
    [PAGE, DATA, PAGE + "?status=open&priority=high&created_after={month_ago}", DATA + "?search=ticket"],
)
def test_queries_per_request_do_not_grow_with_the_tickets(support_client, path):
    path = path.format(month_ago=selectors.local_today() - datetime.timedelta(days=30))
    record_run()
    many_tickets(10)
    support_client.get(path)  # the session is read once per test first
    few = queries_for(support_client, path)
    many_tickets(990)
    assert Ticket.objects.count() == 1000
    assert queries_for(support_client, path) == few
    # session + user, the role (groups), the grouped counts, the expected band's days, the feed,
    # the run and its checks, the notifications of the last day (the hourly profile of today's band
    # is cached for the hour)
    assert few <= 9, few


def test_a_304_costs_the_queries_of_the_answer_it_stands_for(support_client):
    many_tickets(10)
    record_run()
    etag = etag_of(support_client)
    with CaptureQueriesContext(connection) as full:
        assert support_client.get(DATA).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert support_client.get(DATA, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # session, user, the role (groups), the grouped counts, the expected band's days, the feed,
    # the latest run and its checks, the notifications of the last day
    assert len(queries) == len(full) == 9


def test_factory_tickets_show_up_at_once(support_client):
    before = support_client.get(DATA).json()["headline"]["total"]
    TicketFactory(created_at=recent())
    assert support_client.get(DATA).json()["headline"]["total"] == before + 1


def test_the_regression_panel_tells_a_crashed_check_from_a_failed_one(support_client):
    now = timezone.now()
    run = RegressionRun.objects.create(started_at=now, finished_at=now, passed=False, outcome="error")
    CheckResult.objects.create(run=run, name="data_consistency", passed=False, outcome="error")
    CheckResult.objects.create(run=run, name="status_integrity", passed=False, outcome="failed", violations=2)

    page = support_client.get(PAGE).content.decode()
    assert "Could not run every check" in page
    assert "could not run (see the run in admin)" in page
    assert "failed, 2 violations" in page
    assert [check["outcome"] for check in support_client.get(DATA).json()["regression"]["checks"]] == [
        "error",
        "failed",
    ]
