"""One attempt at sending: an HTTP post to a checked address, or an email; and what its answer means.

Each attempt has a 10-second deadline in all (connecting, sending and
reading together): a receiver that drips its answer a byte at a time cannot
hold a worker. Redirects are not followed.
"""

import asyncio
import email.utils
import functools
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.core.mail import EmailMessage

from notifications import outbound

DEADLINE_SECONDS = 10.0
# Retry-After is honoured up to an hour.
MAX_RETRY_AFTER_SECONDS = 3600
RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "Triage-Notifications/1"
# Enough of an error answer to say what went wrong, no more.
ERROR_EXCERPT_BYTES = 300


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt: `sent`, `retry` (later) or `failed` (for good)."""

    outcome: str
    response_code: int | None = None
    error: str = ""
    retry_after: float | None = None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the process: making one (loading the CA bundle) costs far more than a send."""
    return httpx.create_ssl_context()


# Each delivery thread keeps an event loop and a client: starting an event loop per message cost
# more than sending it. Connections are not kept alive, so a TLS connection made for one host
# name is never reused for another that resolves to the same address.
_local = threading.local()


def _loop_and_client() -> tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]:
    if getattr(_local, "loop", None) is None:
        _local.loop = asyncio.new_event_loop()
        _local.client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would undo the address pinning
            verify=tls_context(),
            limits=httpx.Limits(max_keepalive_connections=0),
        )
    return _local.loop, _local.client


def post_json(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST `body` to `url` after the outbound check, pinned to the checked address."""
    try:
        destination = outbound.destination(url)
    except outbound.OutboundRefused as refused:
        return Attempt("failed", error=str(refused))
    loop, client = _loop_and_client()
    return loop.run_until_complete(_post(client, destination, body, headers))


async def _post(
    client: httpx.AsyncClient, destination: outbound.Destination, body: bytes, headers: dict[str, str]
) -> Attempt:
    request_headers = {
        **headers,
        "Host": destination.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        async with asyncio.timeout(DEADLINE_SECONDS):
            request = client.build_request(
                "POST",
                destination.pinned_url,
                content=body,
                headers=request_headers,
                timeout=DEADLINE_SECONDS,
                # TLS names the original host (SNI) and checks its certificate against it.
                extensions={"sni_hostname": destination.host},
            )
            response = await client.send(request, stream=True)
            try:
                excerpt = await _excerpt(response) if response.status_code >= 300 else b""
            finally:
                await response.aclose()
    except TimeoutError:
        return Attempt("retry", error=f"no answer within {DEADLINE_SECONDS:g} s")
    except httpx.TransportError as error:
        return Attempt("retry", error=f"connection failed: {type(error).__name__}: {error}"[:1000])
    return classify(response.status_code, response.headers.get("Retry-After"), excerpt)


async def _excerpt(response: httpx.Response) -> bytes:
    """The first bytes of an error answer (the rest is not read)."""
    data = b""
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= ERROR_EXCERPT_BYTES:
            break
    return data[:ERROR_EXCERPT_BYTES]


def classify(code: int, retry_after: str | None = None, excerpt: bytes = b"") -> Attempt:
    """2xx sent; 408, 429 and 5xx retried (429 after its Retry-After); 3xx and other 4xx failed."""
    if 200 <= code < 300:
        return Attempt("sent", code)
    text = excerpt.decode("utf-8", "replace").strip()
    error = f"HTTP {code}" + (f": {text}" if text else "")
    if code in RETRIED_STATUSES or code >= 500:
        wait = parse_retry_after(retry_after) if code == 429 else None
        return Attempt("retry", code, error, wait)
    if 300 <= code < 400:
        error += " (redirects are not followed)"
    return Attempt("failed", code, error)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped at an hour."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


def send_email(addresses: list[str], subject: str, body: str) -> Attempt:
    """Send through Django's mail API (EMAIL_* settings); a refusal (5xx) fails, anything else retries."""
    if not addresses:
        return Attempt("failed", error="no address to send to")
    try:
        EmailMessage(subject=subject, body=body, to=addresses).send()
    except smtplib.SMTPRecipientsRefused as refused:
        codes = sorted({code for code, _ in refused.recipients.values()})
        return Attempt(
            "failed", codes[0] if codes else None, f"recipients refused: {refused.recipients}"[:1000]
        )
    except smtplib.SMTPResponseException as error:
        outcome = "failed" if error.smtp_code >= 500 else "retry"
        return Attempt(outcome, error.smtp_code, f"SMTP {error.smtp_code}: {error.smtp_error!r}"[:1000])
    except (smtplib.SMTPException, OSError) as error:
        return Attempt("retry", error=f"mail server: {type(error).__name__}: {error}"[:1000])
    return Attempt("sent", 250)
