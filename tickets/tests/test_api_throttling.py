"""The API's throttle per user: 429 with Retry-After and a JSON body, kept in the shared cache."""

import pytest
from django.core.cache import cache

from tickets.api.views import TicketViewSet
from tickets.models import Ticket
from tickets.tests.threads import run_at_once

THROTTLE_RATES = TicketViewSet.throttle_classes[0].THROTTLE_RATES


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_many_threads_gets_429s_with_retry_after_and_nothing_else(
    api_client, analyst_user, monkeypatch
):
    """How many get through a race on the cache is not asserted; what the others get is."""
    monkeypatch.setitem(THROTTLE_RATES, "api", "3/min")
    clients = [api_client(analyst_user) for _ in range(16)]
    answers = run_at_once(
        [
            lambda client=client: client.post("/api/tickets", {"title": "burst"}, format="json")
            for client in clients
        ]
    )
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) == {201, 429}, answers
    for answer in answers:
        if answer.status_code == 429:
            assert int(answer["Retry-After"]) >= 1
            assert set(answer.json()) == {"detail"} and "throttled" in answer.json()["detail"]
    created = sorted(answer.json()["id"] for answer in answers if answer.status_code == 201)
    assert sorted(Ticket.objects.values_list("id", flat=True)) == created


@pytest.mark.django_db
def test_the_throttle_counts_each_user_in_the_default_cache(
    api_client, analyst_user, support_user, monkeypatch
):
    """The default cache is Redis with REDIS_URL (every worker counts together); else per process."""
    monkeypatch.setitem(THROTTLE_RATES, "api", "2/min")
    bob, carol = api_client(analyst_user), api_client(support_user)
    assert [bob.get("/api/tickets").status_code for _ in range(3)] == [200, 200, 429]
    assert carol.get("/api/tickets").status_code == 200
    assert len(cache.get(f"throttle_api_{analyst_user.pk}")) == 2
    assert len(cache.get(f"throttle_api_{support_user.pk}")) == 1
