"""Project-wide HTTP middleware: request log, request size limit and Content-Security-Policy."""

import io
import json
import logging
import time

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.urls import Resolver404, resolve

log = logging.getLogger(__name__)

# No inline scripts or styles anywhere: every script and stylesheet is a file
# served by this application.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class BodySizeLimitMiddleware:
    """Answer 413 before reading a body larger than TRIAGE_MAX_BODY_BYTES.

    Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) answers 400 and only
    when the body is parsed; senders need 413 to know that retrying the same
    payload will not help. A chunked body (no Content-Length) is read here,
    up to the limit, so that it is neither lost nor unbounded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.TRIAGE_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return refuse_body(request, limit, length)
        if not request.META.get("CONTENT_LENGTH") and is_chunked(request):
            body = read_chunked_body(request, limit)
            if body is None:
                return refuse_body(request, limit, None)
            # Hand the body to Django as if it had come with a Content-Length.
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


def is_chunked(request) -> bool:
    """A body sent with `Transfer-Encoding: chunked` that the server decoded for us.

    Django reads a request without Content-Length as empty, so such a body
    would be silently lost; gunicorn marks its de-chunked input as
    terminated (`wsgi.input_terminated`), which makes it safe to read to the end.
    """
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and bool(
        request.META.get("wsgi.input_terminated")
    )


def read_chunked_body(request, limit: int) -> bytes | None:
    """Read a chunked body, at most `limit` bytes; None when it is longer."""
    stream = request.META["wsgi.input"]
    parts, size = [], 0
    while size <= limit:
        part = stream.read(min(64 * 1024, limit + 1 - size))
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    return None


def refuse_body(request, limit: int, length: int | None) -> HttpResponse:
    """413, after telling the view that would have answered (if it asks to be told).

    A view class may define `on_body_too_large(request, length)`, e.g. to log
    the refused request; it must not read the body. Its failure never turns
    the 413 into a 500.
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    hook = getattr(getattr(match.func, "view_class", None), "on_body_too_large", None) if match else None
    if hook is not None:
        try:
            hook(request, length)
        except Exception:
            log.exception("on_body_too_large failed for %s", request.path_info)
    return payload_too_large(limit)


def payload_too_large(limit: int) -> HttpResponse:
    """A 413 response with a JSON body in DRF's error shape."""
    body = {"detail": f"Request body is larger than the limit of {limit} bytes."}
    return HttpResponse(json.dumps(body), status=413, content_type="application/json")


class ContentSecurityPolicyMiddleware:
    """Add a strict Content-Security-Policy to every response that lacks one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


request_log = logging.getLogger("triage.requests")


class RequestLogMiddleware:
    """One JSON line per request on the `triage.requests` logger (stdout in production).

    Fields: method, path, status, duration_ms, bytes, user, remote address.
    The query string is left out: it may carry search terms.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if request_log.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            request_log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "bytes": len(response.content) if not response.streaming else None,
                        "user": user.get_username() if user is not None and user.is_authenticated else None,
                        "remote": request.META.get("REMOTE_ADDR"),
                    },
                    separators=(",", ":"),
                )
            )
        return response
