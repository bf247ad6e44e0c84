"""Outbound safety: what a channel may reach, checked after DNS, and the request pinned to that address."""

import socket

import pytest

from notifications import outbound
from notifications.delivery import attempt
from notifications.models import Delivery
from notifications.tests.factories import ChannelFactory, notify_rule
from notifications.tests.servers import Answer, Receiver
from notifications.worker import drain
from tickets.models import Ticket


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1",  # noqa: S104 - an address to refuse, not one to bind "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.170",
        "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_private_loopback_link_local_metadata_and_reserved_addresses_are_refused(address, settings):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False
    assert outbound.address_problem(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address, settings):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False
    assert outbound.address_problem(address) is None


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://hooks.example.com/x", "https://"),
        ("ftp://hooks.example.com/x", "https://"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https:///nohost", "host"),
        ("https://hooks.example.com:99999/x", "valid URL"),
        ("https://hooks.example.com/a b", "spaces"),
    ],
)
def test_a_url_is_checked_for_its_form_and_scheme(url, problem, settings):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False
    assert problem in outbound.url_form_problem(url)


def test_allow_private_also_allows_http(settings):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = True
    assert outbound.url_form_problem("http://localhost:8080/hook") is None
    assert outbound.address_problem("127.0.0.1") is None


class Resolver:
    """A DNS we control: answers from a list, one answer per lookup (the last repeats)."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.lookups: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        address = self.answers[min(len(self.lookups), len(self.answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1"])
def test_a_name_resolving_to_an_internal_address_fails_without_a_request(
    receiver, settings, monkeypatch, address
):
    server = receiver(Answer(200))
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(address))
    channel = ChannelFactory(target=f"https://hooks.example.com:{server.port}/hook")
    notify_rule(channel)
    Ticket.objects.create(title="Probe the network")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("refused: hooks.example.com resolves to")
    assert server.requests == []


@pytest.mark.django_db
def test_an_answer_mixing_public_and_private_addresses_is_refused(settings, monkeypatch):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("93.184.215.14", "10.0.0.1")]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(outbound.OutboundRefused, match="10.0.0.1"):
        outbound.destination("https://hooks.example.com/hook")


@pytest.mark.django_db
def test_a_dns_answer_that_changes_after_the_check_cannot_redirect_the_request(loopback, monkeypatch):
    """The request goes to the address that was checked: there is no second lookup to swap.

    Two real servers listen on the same port: one on 127.0.0.1, an "internal"
    one on 127.0.0.2. Our resolver answers 127.0.0.1 to the first lookup and
    127.0.0.2 to any later one. The request reaches the first server, the name
    was looked up once, and the Host header still names it.
    """
    with (
        Receiver(Answer(200), host="127.0.0.2") as internal,
        Receiver(Answer(200), host="127.0.0.1", port=internal.port) as checked,
    ):
        resolver = Resolver("127.0.0.1", "127.0.0.2")
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        channel = ChannelFactory(target=f"http://hooks.example.com:{checked.port}/hook")
        notify_rule(channel)
        Ticket.objects.create(title="Rebinding")
        assert attempt(str(Delivery.objects.get().pk)) == "sent"
    assert resolver.lookups == ["hooks.example.com"]
    assert len(checked.requests) == 1 and internal.requests == []
    assert checked.requests[0].headers["Host"] == f"hooks.example.com:{checked.port}"
