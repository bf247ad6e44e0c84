"""Errors of the API in DRF's shape: a model's refusal is a 400, an oversized body a 413, and so on.

Every answer is JSON. A database that cannot be reached is a 503 with
`Retry-After` (nothing was stored; try again), never a 500 or a 200.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.api.headers import etag
from tickets.idempotency import KeyReused
from tickets.models import VersionConflict

# Seconds a client should wait before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 5


class PayloadTooLarge(exceptions.APIException):
    """413: the body is over TRIAGE_MAX_BODY_BYTES; sending it again will not help."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self):
        super().__init__(f"Request body is larger than the limit of {settings.TRIAGE_MAX_BODY_BYTES} bytes.")


class PreconditionFailed(exceptions.APIException):
    """412: `If-Match` named a version the ticket is no longer at; nothing was written."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, conflict: VersionConflict):
        super().__init__(
            f"The ticket is now at ETag {etag(conflict.current)}, which If-Match does not name: it has "
            "changed since you read it. Nothing was written; read it again and reapply your change."
        )
        self.current_etag = etag(conflict.current)


class IdempotencyKeyReused(exceptions.APIException):
    """422: the `Idempotency-Key` was first used for another request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used with a different request; use a new key for a new request."
    )


class ServiceUnavailable(exceptions.APIException):
    """503: the database cannot be reached; nothing was stored, and the client should retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "The database is unavailable; nothing was stored. Retry later."


def as_api_error(exc: Exception) -> Exception:
    """Translate the Django and domain exceptions a request may raise into DRF's."""
    if isinstance(exc, DjangoValidationError):
        # Ticket.save() keys its errors by field (the business rule names the field it broke).
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, RequestDataTooBig):
        # A body without Content-Length (chunked) is only found too big while it is read.
        return PayloadTooLarge()
    if isinstance(exc, UnreadablePostError):
        return exceptions.ParseError("The request body could not be read.")
    if isinstance(exc, VersionConflict):
        return PreconditionFailed(exc)
    if isinstance(exc, KeyReused):
        return IdempotencyKeyReused()
    if isinstance(exc, ObjectDoesNotExist):
        # The ticket was deleted between reading it and writing it.
        return exceptions.NotFound("No ticket has this id.")
    if isinstance(exc, OperationalError | InterfaceError):
        return ServiceUnavailable()
    return exc


def exception_handler(exc, context):
    """DRF's handler, after translating Django's and the domain's exceptions; adds the retry hints."""
    exc = as_api_error(exc)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, PreconditionFailed):
        response["ETag"] = exc.current_etag
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
