"""Idempotent creates: a request sent again with the same `Idempotency-Key` is answered, not redone.

Stripe's semantics, per user: the first request with a key runs and its
answer is stored in the same transaction as what it created; a retry with
the same key and the same request gets that answer again and creates
nothing; the same key with another request is refused (`KeyReused`); keys
are kept for KEEP_FOR, after which they are forgotten. Only answers that
were produced are stored: a request refused before it wrote anything (bad
input, a role that may not) stores nothing, so its retry is judged afresh.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets.audit import canonical_json
from tickets.models import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_RULE = f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (letters, digits, punctuation)."


class KeyReused(Exception):
    """The key was first used for another request; a new request needs a new key."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer to a keyed request; `replayed` when it is the stored answer of an earlier one."""

    status_code: int
    body: dict
    replayed: bool


def valid_key(key: str) -> bool:
    """1 to 255 printable ASCII characters, with no space at either end (HTTP trims them anyway)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable() and key == key.strip()


def fingerprint(method: str, path: str, data) -> str:
    """SHA-256 of what a request asks for: method, path and its JSON body in canonical form.

    Key order and spacing do not matter; every value does.
    """
    return hashlib.sha256(f"{method} {path}\n{canonical_json(data)}".encode()).hexdigest()


def answer_once(
    *,
    user,
    key: str,
    request_hash: str,
    respond: Callable[[], tuple[int, dict]],
    now: datetime | None = None,
) -> Answer:
    """Run `respond` once per (user, key) and store its answer; replay that answer for a retry.

    `respond` does the work and returns (status code, body); it runs inside
    the transaction that stores the key, so a failure stores neither. Two
    requests with one key at once: the database's unique constraint lets one
    commit; the other's work is rolled back and it gets the first answer.
    Raises KeyReused when the key was first used for another request.
    """
    now = now or timezone.now()
    stored = _stored_answer(user, key, now)
    if stored is not None:
        return _replay(stored, request_hash)
    try:
        with transaction.atomic():
            status_code, body = respond()
            IdempotencyKey.objects.create(
                user=user,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=body,
                created_at=now,
            )
    except IntegrityError:
        stored = _stored_answer(user, key, now)
        if stored is None:
            raise  # a constraint of the work itself, not a duplicate key
        return _replay(stored, request_hash)
    return Answer(status_code, body, replayed=False)


def purge_expired(now: datetime | None = None) -> int:
    """Delete every key older than KEEP_FOR; return how many were deleted."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _stored_answer(user, key: str, now: datetime) -> IdempotencyKey | None:
    """The live record of this key, after forgetting this user's expired keys (this one included)."""
    IdempotencyKey.objects.filter(user=user, created_at__lt=now - KEEP_FOR).delete()
    return IdempotencyKey.objects.filter(user=user, key=key).first()


def _replay(stored: IdempotencyKey, request_hash: str) -> Answer:
    if stored.request_hash != request_hash:
        raise KeyReused(stored.key)
    return Answer(stored.status_code, stored.response, replayed=True)
