"""Project-wide HTTP middleware: request log, request size limit and Content-Security-Policy."""

import json
import logging
import time

from django.conf import settings
from django.http import HttpResponse

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
    payload will not help.
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
            return payload_too_large(limit)
        return self.get_response(request)


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
