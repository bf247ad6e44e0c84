"""How each alert source proves who sent a request, checked in constant time.

- Alertmanager: `Authorization: Bearer <token>`, as its `http_config`
  sends it (`authorization.credentials`; the type defaults to Bearer).
- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
- PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`: one
  signature per secret PagerDuty signs with while it rotates; any may match.

For GitHub and PagerDuty the HMAC key is the secret's UTF-8 bytes, as those
senders use it, and the body is signed byte for byte as received.
"""

import hashlib
import hmac

from intake.events import Unverified


def _hex_hmac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().encode("ascii")


def check_bearer_token(authorization: str, token: str) -> None:
    """Raise Unverified unless `authorization` is `Bearer <token>` (the scheme in any case)."""
    if not authorization:
        raise Unverified("missing header Authorization (Bearer token)")
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unverified("Authorization is not a Bearer token")
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8")):
        raise Unverified("the bearer token is not this integration's")


def check_github_signature(header: str, secret: str, body: bytes) -> None:
    """Raise Unverified unless `header` (X-Hub-Signature-256) is `sha256=` + the body's hex HMAC."""
    if not header:
        raise Unverified("missing header X-Hub-Signature-256")
    algorithm, _, given = header.strip().partition("=")
    if algorithm != "sha256" or not given:
        raise Unverified("X-Hub-Signature-256 is not sha256=<hex>")
    if not hmac.compare_digest(given.lower().encode("ascii", "replace"), _hex_hmac(secret, body)):
        raise Unverified("X-Hub-Signature-256 does not match this integration's secret")


def check_pagerduty_signature(header: str, secret: str, body: bytes) -> None:
    """Raise Unverified unless one `v1=<hex>` entry of `header` (X-PagerDuty-Signature) matches the body."""
    if not header:
        raise Unverified("missing header X-PagerDuty-Signature")
    expected = _hex_hmac(secret, body)
    given = [
        entry.strip().removeprefix("v1=").lower().encode("ascii", "replace")
        for entry in header.split(",")
        if entry.strip().startswith("v1=")
    ]
    if not given:
        raise Unverified("X-PagerDuty-Signature has no v1= signature")
    # Every entry is compared (no early exit), so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(signature, expected) for signature in given]
    if not any(matches):
        raise Unverified("no X-PagerDuty-Signature entry matches this integration's secret")


def github_signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub would send for `body` (for tests, tools and the benchmark)."""
    return "sha256=" + _hex_hmac(secret, body).decode("ascii")


def pagerduty_signature(body: bytes, *secrets: str) -> str:
    """The X-PagerDuty-Signature value PagerDuty would send, signed with each of `secrets`."""
    return ",".join("v1=" + _hex_hmac(secret, body).decode("ascii") for secret in secrets)
