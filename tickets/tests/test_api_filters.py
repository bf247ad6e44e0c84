"""The shared TicketFilter and the pagination, through GET /api/tickets."""

import datetime

import pytest

from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(api_client, support_user):
    return api_client(support_user)


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02}:00+00:00")


@pytest.fixture
def tickets():
    return {
        "vpn": TicketFactory(title="VPN down", description="", priority="low", created_at=at("2026-03-01")),
        "outage": TicketFactory(title="Checkout outage", priority="high", created_at=at("2026-03-02")),
        "invoice": TicketFactory(
            title="Invoice", description="charged twice", status="closed", created_at=at("2026-03-03")
        ),
        "access": TicketFactory(title="Access", assigned_to="Dana", created_at=at("2026-03-04")),
    }


def ids(client, query: str = "") -> list[int]:
    response = client.get(f"/api/tickets?{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_newest_first(carol, tickets):
    assert ids(carol) == [tickets[k].pk for k in ("access", "invoice", "outage", "vpn")]


def test_status_and_priority_are_repeatable(carol, tickets):
    assert set(ids(carol, "status=closed&status=in_progress")) == {
        tickets["invoice"].pk,
        tickets["outage"].pk,
    }
    assert set(ids(carol, "priority=low&priority=high")) == {tickets["vpn"].pk, tickets["outage"].pk}


def test_assignee_exact_and_unassigned(carol, tickets):
    assert ids(carol, "assigned_to=Dana") == [tickets["access"].pk]
    assert ids(carol, "assigned_to=dan") == []
    assert ids(carol, "unassigned=true") == [tickets["invoice"].pk]
    assert tickets["invoice"].pk not in ids(carol, "unassigned=false")


def test_created_dates_are_inclusive(carol, tickets):
    got = ids(carol, "created_after=2026-03-02&created_before=2026-03-03")
    assert got == [tickets["invoice"].pk, tickets["outage"].pk]


def test_search_looks_in_title_and_description(carol, tickets):
    assert ids(carol, "search=OUTAGE") == [tickets["outage"].pk]
    assert ids(carol, "search=twice") == [tickets["invoice"].pk]


def test_ordering(carol, tickets):
    assert ids(carol, "ordering=created_at") == [
        tickets[k].pk for k in ("vpn", "outage", "invoice", "access")
    ]
    by_priority = ids(carol, "ordering=-priority")
    assert by_priority[0] == tickets["outage"].pk and by_priority[-1] == tickets["vpn"].pk
    assert ids(carol, "ordering=id") == sorted(t.pk for t in tickets.values())


def test_filters_combine(carol, tickets):
    assert ids(carol, "status=open&priority=medium&unassigned=false") == [tickets["access"].pk]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("status=done", "status"),
        ("priority=urgent", "priority"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2026-02-30", "created_before"),
        ("created_after=2026-03-05&created_before=2026-03-01", "created_before"),
        ("unassigned=maybe", "unassigned"),
        ("ordering=colour", "ordering"),
        ("assigned_to=" + "x" * 101, "assigned_to"),
        ("search=" + "x" * 201, "search"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=lots", "page_size"),
        ("page=" + "9" * 5000, "page"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(carol, tickets, query, parameter):
    response = carol.get(f"/api/tickets?{query}")
    assert response.status_code == 400
    assert parameter in response.json()


def test_a_nul_in_a_filter_is_400_not_a_crash(carol, tickets):
    response = carol.get("/api/tickets?search=a%00b")
    assert response.status_code == 400 and "search" in response.json()


def test_pages(carol):
    TicketFactory.create_batch(7)
    first = carol.get("/api/tickets?page_size=3").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], len(first["results"]), first["previous"]) == (7, 3, None)
    assert "page=2" in first["next"] and "page_size=3" in first["next"]
    last = carol.get("/api/tickets?page_size=3&page=last").json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = first["results"] + carol.get(first["next"]).json()["results"] + last["results"]
    assert len({row["id"] for row in seen}) == 7


def test_page_size_defaults_to_50_and_is_capped_at_500(carol, django_assert_max_num_queries):
    from tickets.tests.factories import create_tickets

    create_tickets(*({"title": f"t{n}"} for n in range(501)))
    assert len(carol.get("/api/tickets").json()["results"]) == 50
    with django_assert_max_num_queries(4):
        capped = carol.get("/api/tickets?page_size=1000").json()
    assert len(capped["results"]) == 500 and capped["count"] == 501


def test_a_page_past_the_end_is_404_saying_where_the_end_is(carol, tickets):
    response = carol.get("/api/tickets?page=3")
    assert response.status_code == 404
    assert response.json() == {"detail": "Page 3 does not exist; the last page is 1."}


def test_an_empty_list_is_one_empty_page(carol):
    assert carol.get("/api/tickets").json() == {"count": 0, "next": None, "previous": None, "results": []}
