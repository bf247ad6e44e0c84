"""Error pages: JSON for machine paths, and an honest 503 when the database is down."""

import json
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

# Clients of these paths read JSON, not HTML.
JSON_PREFIXES = ("/api/", "/api", "/webhook", "/dashboard/data", "/healthz")
# Senders should wait this long before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 5


def server_error(request, *args, **kwargs) -> HttpResponse:
    """handler500: a 503 with Retry-After when the database is unavailable, else a plain 500.

    Django calls it from inside its exception handling, so the exception is
    still at hand in `sys.exc_info()`. Webhook senders retry on 503 (and
    never should on a 200 that stored nothing).
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    detail = (
        "The database is unavailable; nothing was stored. Retry later."
        if unavailable
        else "Internal server error; nothing was stored."
    )
    if request.path.startswith(JSON_PREFIXES):
        response = HttpResponse(
            json.dumps({"detail": detail}), status=status, content_type="application/json"
        )
    else:
        page = loader.get_template("error.html").render({"status": status, "detail": detail})
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
