"""Signing outgoing webhooks as Standard Webhooks does: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

The key is the base64 part of the channel's `whsec_<base64>` secret. (The
intake in `automation/` verifies the same format; this app signs and must
not depend on it, so the few lines of the format live here too.)
"""

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def secret_problem(secret: str) -> str | None:
    """What is wrong with a `whsec_` secret, or None."""
    try:
        key_of(secret)
    except ValueError as error:
        return str(error)
    return None


def key_of(secret: str) -> bytes:
    """The HMAC key inside `whsec_<base64>`; ValueError when it is not one."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"A secret starts with {SECRET_PREFIX!r}.")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"After {SECRET_PREFIX!r} a secret is standard base64.") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"A secret's key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, not {len(key)}.")
    return key


def new_secret() -> str:
    """A fresh `whsec_` secret with a 32-byte key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signature_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one message."""
    mac = hmac.new(key_of(secret), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(mac).decode("ascii"),
    }
