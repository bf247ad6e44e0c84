"""Integrations of every kind: their secrets, how they are made and re-keyed, Alertmanager's mapping.

What an integration's secret is depends on its kind, because each sender
signs its own way:

- `standard`: a `whsec_<base64>` secret; the HMAC key is the decoded part
  (Standard Webhooks).
- `alertmanager`: the bearer token Alertmanager sends in `Authorization`
  (its `http_config.authorization.credentials`).
- `github`, `pagerduty`: any string; the HMAC key is its UTF-8 bytes, as
  those senders use it.
"""

import re
import secrets

from django.db import transaction
from django.utils import timezone

from automation import signatures
from automation.models import Integration, IntegrationKind
from tickets.fields import PRIORITIES

Kind = IntegrationKind
SECRET_MAX_LENGTH = Integration._meta.get_field("secret").max_length
# A bearer token as RFC 6750 spells one (`b64token`); shorter ones are guessable.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
MIN_TOKEN_LENGTH = 16


class SecretError(signatures.SecretError):
    """A secret that the integration's kind cannot use; the message says what it must be."""


def generate_secret(kind: str) -> str:
    """A new random secret of the form the kind's sender needs."""
    if kind == Kind.STANDARD:
        return signatures.generate_secret()
    # 32 random bytes; URL-safe base64 is also a valid bearer token.
    return secrets.token_urlsafe(32)


def check_secret(kind: str, secret: str) -> None:
    """Raise SecretError unless `secret` is one an integration of `kind` can verify with."""
    if kind == Kind.STANDARD:
        try:
            signatures.decode_secret(secret)
        except signatures.SecretError as error:
            raise SecretError(str(error)) from None
        return
    if not secret or len(secret) > SECRET_MAX_LENGTH:
        raise SecretError(f"A secret is 1 to {SECRET_MAX_LENGTH} characters.")
    if "\x00" in secret:
        raise SecretError("A secret cannot hold a NUL character.")
    if kind == Kind.ALERTMANAGER and (len(secret) < MIN_TOKEN_LENGTH or not _BEARER_TOKEN.fullmatch(secret)):
        raise SecretError(
            f"A bearer token is at least {MIN_TOKEN_LENGTH} characters of letters, digits and "
            "-._~+/ (then optional =), with no spaces."
        )


def integration_save_secret(
    *, name: str, secret: str | None = None, kind: str | None = None
) -> tuple[Integration, bool]:
    """Create integration `name`, or give the existing one a new secret; return it and whether it is new.

    A new integration is of `kind` (standard when not given); an existing
    one keeps its kind, and naming another raises ValueError. `secret` is
    generated when not given; one the kind cannot use raises SecretError.
    Rotation takes effect at once: the old secret stops verifying.
    """
    with transaction.atomic():
        integration = Integration.objects.select_for_update().filter(name=name).first()
        if integration is not None and kind is not None and kind != integration.kind:
            raise ValueError(f"integration {name!r} is of kind {integration.kind}, not {kind}")
        effective_kind = integration.kind if integration is not None else (kind or Kind.STANDARD)
        if effective_kind not in Kind.values:
            raise ValueError(f"unknown kind {effective_kind!r}")
        secret = secret if secret is not None else generate_secret(effective_kind)
        check_secret(effective_kind, secret)
        if integration is None:
            integration = Integration(name=name, kind=effective_kind, secret=secret)
            integration.full_clean(validate_unique=False, validate_constraints=False)
            integration.save()
            return integration, True
        integration.secret = secret
        integration.secret_rotated_at = timezone.now()
        integration.save(update_fields=["secret", "secret_rotated_at"])
        return integration, False


def format_severity_priorities(mapping: dict[str, str]) -> str:
    """The mapping as the admin shows it: one `severity = priority` a line, by severity.

    Sorted, because PostgreSQL's JSON keeps no order of keys.
    """
    ordered = sorted(mapping.items(), key=lambda item: item[0].casefold())
    return "\n".join(f"{severity} = {priority}" for severity, priority in ordered)


def parse_severity_priorities(text: str) -> dict[str, str]:
    """`severity = priority` lines as a mapping; ValueError naming the first bad line.

    Blank lines are skipped; severities are kept as written and compared
    case-insensitively when alerts arrive.
    """
    mapping: dict[str, str] = {}
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        severity, equals, priority = line.partition("=")
        severity, priority = severity.strip(), priority.strip().lower()
        if not equals or not severity:
            raise ValueError(f"Line {number}: write `severity = priority`, e.g. `critical = high`.")
        if priority not in PRIORITIES:
            raise ValueError(
                f"Line {number}: the priority is one of {', '.join(PRIORITIES)}, not {priority!r}."
            )
        if severity.casefold() in seen:
            raise ValueError(f"Line {number}: severity {severity!r} is listed twice.")
        seen.add(severity.casefold())
        mapping[severity] = priority
    return mapping
