"""Outbound safety: where a channel may post, checked after DNS, and the request pinned to that address.

A rule must not become a probe of the internal network. So a URL's host is
resolved once, every address it resolves to is checked against private,
loopback, link-local, multicast, reserved and cloud-metadata ranges, and the
request is sent to the checked address itself (no second lookup that a DNS
answer could change), with the original name kept for the Host header, TLS
SNI and the certificate check. `TRIAGE_OUTBOUND_ALLOW_PRIVATE=1` allows
private addresses and plain http, for local testing.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

# Ranges no channel may reach, besides what `ipaddress` already calls private, loopback,
# link-local, multicast, reserved or unspecified.
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local, where cloud metadata lives (169.254.169.254)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "fd00:ec2::/32",  # AWS metadata over IPv6 (inside fc00::/7, listed for the record)
        "64:ff9b::/96",  # NAT64: an IPv4 address in disguise
        "64:ff9b:1::/48",
        "2002::/16",  # 6to4: ditto
    )
)


class OutboundRefused(Exception):
    """A URL a channel may not post to; the message says why (it becomes the delivery's error)."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: the address to connect to, and the name to present (Host, SNI, certificate)."""

    url: str
    host: str
    address: str
    port: int

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (IPv6 in brackets)."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        parts = urlsplit(self.url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{parts.port}" if parts.port else host


def allow_private() -> bool:
    return settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE


def url_form_problem(url: str) -> str | None:
    """What is wrong with a channel URL's form or scheme (checked on save), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "Enter a valid URL."
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in schemes:
        return "The URL must start with https://." if not allow_private() else "Use an http or https URL."
    if not parts.hostname:
        return "The URL needs a host name."
    if parts.username or parts.password:
        return "Put no user name or password in the URL."
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "The URL may not contain spaces or control characters."
    return None


def address_problem(address: str) -> str | None:
    """Why a resolved address may not be reached, or None for a public one."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            problem = address_problem(str(mapped))
            return problem and f"{address} maps to {problem}"
    if allow_private():
        return None
    if ip.is_loopback:
        return f"{address} is a loopback address"
    if ip.is_link_local or any(ip in net for net in BLOCKED_NETWORKS if net.version == ip.version):
        return f"{address} is a link-local, metadata or reserved address"
    if ip.is_private or ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundRefused(f"{host} does not resolve: {error}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def destination(url: str) -> Destination:
    """Check `url` and resolve its host once; raise OutboundRefused when it may not be reached.

    Every address of the answer must be public (an answer mixing a public and
    a private address is refused as a whole); the first is the one connected to.
    """
    problem = url_form_problem(url)
    if problem:
        raise OutboundRefused(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    if not addresses:
        raise OutboundRefused(f"{parts.hostname} has no address")
    for address in addresses:
        problem = address_problem(address.split("%", 1)[0])
        if problem:
            raise OutboundRefused(f"refused: {parts.hostname} resolves to {problem}")
    return Destination(url=url, host=parts.hostname, address=addresses[0].split("%", 1)[0], port=port)
