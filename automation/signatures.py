"""Standard Webhooks signatures (https://www.standardwebhooks.com), verified with our own code.

A sender signs `"{webhook-id}.{webhook-timestamp}.{raw body}"` with
HMAC-SHA256, keyed by the base64-decoded part of its `whsec_<base64>` secret,
and sends `webhook-signature: v1,<base64 digest>` (several space-separated
entries are allowed, so a sender can sign with an old and a new secret while
it rotates). A delivery verifies when any `v1` entry matches the digest made
with one of the candidate keys, and its timestamp is at most five minutes
away from now in either direction.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# Keys shorter than this are guessable; longer ones add nothing to HMAC-SHA256.
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64
TOLERANCE_SECONDS = 5 * 60
MAX_WEBHOOK_ID_LENGTH = 255
_WEBHOOK_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_WEBHOOK_ID_LENGTH}}}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SecretError(ValueError):
    """A secret that is not `whsec_` followed by the base64 of a 24 to 64 byte key."""


class SignatureError(Exception):
    """A delivery that does not verify; `reason` says why, for the delivery log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedHeaders:
    """The three signature headers of a delivery, parsed."""

    webhook_id: str
    timestamp: int
    signatures: tuple[bytes, ...]


def generate_secret() -> str:
    """A new random secret in the `whsec_<base64>` form (32-byte key)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a `whsec_<base64>` secret; SecretError when it is not one."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"A secret starts with {SECRET_PREFIX!r}.")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(f"After {SECRET_PREFIX!r} a secret is standard base64.") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise SecretError(f"A secret's key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, not {len(key)}.")
    return key


def digest(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> bytes:
    """HMAC-SHA256 of `id.timestamp.body` (the body as received, byte for byte)."""
    return hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value a sender with `secret` would send."""
    encoded = base64.b64encode(digest(decode_secret(secret), webhook_id, timestamp, body)).decode("ascii")
    return f"v1,{encoded}"


def parse_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """Read `webhook-id`, `webhook-timestamp` and `webhook-signature` (names in lower case)."""
    missing = [
        name for name in ("webhook-id", "webhook-timestamp", "webhook-signature") if not headers.get(name)
    ]
    if missing:
        raise SignatureError(f"missing header {', '.join(missing)}")
    webhook_id = headers["webhook-id"]
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise SignatureError(f"webhook-id is not 1 to {MAX_WEBHOOK_ID_LENGTH} printable ASCII characters")
    if not _TIMESTAMP.fullmatch(headers["webhook-timestamp"]):
        raise SignatureError("webhook-timestamp is not a whole number of seconds since 1970")
    signatures = []
    for entry in headers["webhook-signature"].split(" "):
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue  # empty entries and other schemes (v1a is asymmetric) are not ours
        try:
            signatures.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not signatures:
        raise SignatureError("webhook-signature has no v1 signature")
    return SignedHeaders(webhook_id, int(headers["webhook-timestamp"]), tuple(signatures))


def check_timestamp(timestamp: int, now: float | None = None) -> None:
    """Refuse a timestamp more than five minutes before or after now (replays, skewed clocks)."""
    now = time.time() if now is None else now
    skew = int(now) - timestamp
    if skew > TOLERANCE_SECONDS:
        raise SignatureError(f"webhook-timestamp is {skew} s old; at most {TOLERANCE_SECONDS} s is accepted")
    if -skew > TOLERANCE_SECONDS:
        raise SignatureError(
            f"webhook-timestamp is {-skew} s in the future; at most {TOLERANCE_SECONDS} s is accepted"
        )


def match(
    signed: SignedHeaders, body: bytes, candidates: Iterable[tuple[Any, bytes]], now: float | None = None
) -> Any:
    """The candidate whose key signed this delivery.

    `candidates` are `(owner, key)` pairs, e.g. each active integration and
    its key. Raises SignatureError (with the reason) when the timestamp is
    out of tolerance or no signature matches any key. Digests are compared
    in constant time.
    """
    check_timestamp(signed.timestamp, now)
    for owner, key in candidates:
        expected = digest(key, signed.webhook_id, signed.timestamp, body)
        if any(hmac.compare_digest(expected, given) for given in signed.signatures):
            return owner
    raise SignatureError("no signature matches the secret of an active integration")


def verify(
    headers: Mapping[str, str], body: bytes, candidates: Iterable[tuple[Any, bytes]], now: float | None = None
) -> Any:
    """Parse the headers and return the candidate whose key signed the delivery (see `match`)."""
    return match(parse_headers(headers), body, candidates, now)
