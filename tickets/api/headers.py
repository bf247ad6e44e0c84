"""The API's own request headers: `If-Match` (no lost updates) and `Idempotency-Key` (no double creates).

A ticket's `ETag` is its `version` as a strong entity tag (`"3"`): every
real change raises the version, so the tag changes exactly when the ticket
does. `If-Match` follows RFC 9110: `*` matches any version; otherwise the
ticket must be at a version that one of the listed strong tags names. Weak
tags (`W/"3"`), tags that are not ours and unparsable values name no
version, so such a request gets 412 and writes nothing.
"""

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from tickets import idempotency

# A strong entity tag naming one of our versions (a positive whole number).
OUR_ENTITY_TAG = re.compile(r'"([1-9][0-9]{0,9})"')
# Printable ASCII, no space at either end: `tickets.idempotency.valid_key` in JSON Schema.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"


def etag(version: int) -> str:
    """The ETag of a ticket at `version`."""
    return f'"{version}"'


def expected_versions(request) -> frozenset[int] | None:
    """The ticket versions that `If-Match` accepts; None without the header or with `*` (any).

    `*` asks only that the ticket exist, which reaching it already proves.
    The comparison is RFC 9110's strong one: only `"<version>"` items count.
    """
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    items = (item.strip() for item in raw.split(","))
    return frozenset(int(match[1]) for item in items if (match := OUR_ENTITY_TAG.fullmatch(item)))


def idempotency_key(request) -> str | None:
    """The request's `Idempotency-Key`, or None without one; 400 when it is malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not idempotency.valid_key(key):
        raise ValidationError({"Idempotency-Key": [idempotency.KEY_RULE]})
    return key


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag you read (`"3"`): the change is made only if the ticket is still at that '
    "version; otherwise 412 and nothing is written. Optional; `*` matches any version.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
    OpenApiParameter.HEADER,
    description="A key of your choosing (a UUID is best), kept 24 hours per user: a retry with the same key "
    "and body gets the first answer again (with `Idempotent-Replayed: true`) and creates nothing; the "
    "same key with another body is 422.",
)


def etag_header(status_code: int) -> OpenApiParameter:
    """The `ETag` response header, as documented for answers with `status_code`."""
    return OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[status_code],
        required=True,
        description='The ticket\'s version as an entity tag (`"3"`), for `If-Match`.',
    )


LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[201],
    required=True,
    description="The new ticket's URL.",
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    {"type": "string", "enum": ["true"]},
    OpenApiParameter.HEADER,
    response=[201],
    description="Present on the stored answer to an earlier request with the same `Idempotency-Key`.",
)
