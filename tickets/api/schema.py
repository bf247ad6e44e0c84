"""OpenAPI descriptions of the API's error answers, shared by the ticket API and the webhook.

A 400 is DRF's shape: an object keyed by the offending field (or
`non_field_errors`, or `detail` for a malformed body), each holding a list
of messages. Every other error is `{"detail": "..."}`.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorDetail = inline_serializer(
    name="ErrorDetail",
    fields={"detail": serializers.CharField(help_text="What went wrong, for a person to read.")},
)

FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "Keys are the offending field, query parameter or header (or `non_field_errors`); values "
        "are lists of messages. A body that is not JSON gets `detail`, a single message."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def bad_request(what: str, example: dict) -> OpenApiResponse:
    """A 400 with field-keyed errors."""
    return OpenApiResponse(
        response=FIELD_ERRORS_SCHEMA,
        description=f"Bad input: {what}. Nothing was written.",
        examples=[OpenApiExample("Field errors", value=example, status_codes=["400"])],
    )


def error(description: str) -> OpenApiResponse:
    """A `{"detail": ...}` error."""
    return OpenApiResponse(response=ErrorDetail, description=description)


UNAUTHENTICATED = error("No credentials, or a bad token (`Authorization: Token <key>`).")
FORBIDDEN = error("Your role may not do this (see the roles table); nothing was written.")
NOT_FOUND = error("No ticket has this id.")
TOO_LARGE = error("The request body is over the configured limit (1 MiB by default).")
THROTTLED = error("Too many requests; retry after the number of seconds in `Retry-After`.")
UNSUPPORTED = error("The body is not `application/json`.")
UNAVAILABLE = error("The database is unavailable; nothing was stored. Retry after `Retry-After` seconds.")
