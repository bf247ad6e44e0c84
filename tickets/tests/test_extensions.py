"""Other apps add fields to the ticket JSON and filters to TicketFilter through tickets.extensions."""

import django_filters
import pytest

from tickets import extensions
from tickets.api.serializers import TicketSerializer
from tickets.filters import TicketFilter
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_field_and_a_filter(monkeypatch):
    """A field and a filter added as another app would, undone after the test."""
    monkeypatch.setattr(extensions, "TICKET_FIELDS", dict(extensions.TICKET_FIELDS))
    monkeypatch.setattr("tickets.api.serializers.TICKET_FIELDS", extensions.TICKET_FIELDS)
    monkeypatch.setattr(TicketFilter, "base_filters", dict(TicketFilter.base_filters))
    extensions.add_ticket_field(
        "title_length", lambda ticket: len(ticket.title), schema={"type": "integer", "minimum": 1}
    )

    def longer_than(queryset, name, value):
        return queryset.filter(title__regex=f".{{{int(value) + 1}}}")

    extensions.add_ticket_filter("longer_than", django_filters.NumberFilter(method=longer_than))


def test_an_added_field_follows_the_models_own_in_the_json(a_field_and_a_filter, api_client, analyst_user):
    ticket = TicketFactory(title="Disk full")
    body = api_client(analyst_user).get(f"/api/tickets/{ticket.pk}").json()
    assert list(body)[-1] == "title_length" and body["title_length"] == 9
    assert TicketSerializer(ticket).data["title_length"] == 9


def test_an_added_field_is_read_only_and_in_the_schema(a_field_and_a_filter, api_client, admin_user):
    ticket = TicketFactory(title="Disk full")
    client = api_client(admin_user)
    client.patch(f"/api/tickets/{ticket.pk}", {"title_length": 1, "title": "Disk"}, format="json")
    ticket.refresh_from_db()
    assert ticket.title == "Disk"
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()
    field = schema["components"]["schemas"]["Ticket"]["properties"]["title_length"]
    assert field["readOnly"] is True and field["type"] == "integer"


def test_an_added_filter_works_on_the_api_and_is_counted_from_the_tickets(
    a_field_and_a_filter, api_client, analyst_user
):
    TicketFactory(title="short")
    long = TicketFactory(title="a much longer title")
    body = api_client(analyst_user).get("/api/tickets?longer_than=10").json()
    assert [row["id"] for row in body["results"]] == [long.pk]
    assert body["count"] == 1  # the summary cannot apply this filter: counted from the tickets


def test_a_name_already_taken_is_refused(a_field_and_a_filter):
    with pytest.raises(ValueError, match="title"):
        extensions.add_ticket_field("title", len, schema={"type": "integer"})
    with pytest.raises(ValueError, match="status"):
        extensions.add_ticket_filter("status", django_filters.CharFilter())
