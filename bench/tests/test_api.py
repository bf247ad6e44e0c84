"""A smoke test of the benchmark's load generator against a live server (not a measurement)."""

import json
from urllib.parse import urlsplit

import pytest
from rest_framework.authtoken.models import Token

from bench.api import drive, report
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_load_generator_drives_the_bare_view_and_the_api(live_server, settings, analyst_user, capsys):
    settings.ROOT_URLCONF = "bench.urls"
    port = urlsplit(live_server.url).port
    token = Token.objects.create(user=analyst_user).key
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    load = {"port": port, "threads": 2, "duration": 0.15, "max_requests": 10, "warmup": 1}

    def create(index, n):
        return "POST", "/api/tickets", json.dumps({"title": f"smoke {index} {n}"}).encode(), auth

    phases = [
        drive("bare", lambda index, n: ("GET", "/bench/bare", None, {}), expected={200}, **load),
        drive("list", lambda index, n: ("GET", "/api/tickets", None, auth), expected={200}, **load),
        drive(
            "list, filtered",
            lambda index, n: ("GET", "/api/tickets?status=nope", None, auth),
            expected={200},
            **load,
        ),
        drive("create", create, expected={201}, **load),
        drive("webhook", create, expected={201}, **load),
    ]
    assert all(0 < len(phase.latencies) <= 10 for phase in phases)
    assert phases[0].errors == phases[1].errors == phases[3].errors == 0
    assert phases[2].errors > 0 and "400" in phases[2].unexpected[0]  # an unexpected status is reported
    # Each 201 counted is a stored ticket (besides one per warm-up request), created by bob via the API.
    warmups = 2 * load["threads"] * load["warmup"]
    answered_201 = phases[3].statuses[201] + phases[4].statuses[201]
    assert Ticket.objects.count() == answered_201 + warmups
    created = TicketEvent.objects.filter(kind="created").values_list("ticket_id", "actor_name", "source")
    stored = sorted(Ticket.objects.values_list("id", flat=True))
    assert sorted(created) == [(pk, "bob", "api") for pk in stored]
    report("smoke", phases, type("Args", (), {"tickets": 0, "workers": 1, "threads": 2, "duration": 0.3}))
    assert "creates/s" in capsys.readouterr().out
