"""Errors of the API in DRF's shape: a model's refusal is a 400, an oversized body a 413."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    """413: the body is over TRIAGE_MAX_BODY_BYTES; sending it again will not help."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self):
        super().__init__(f"Request body is larger than the limit of {settings.TRIAGE_MAX_BODY_BYTES} bytes.")


def as_api_error(exc: Exception) -> Exception:
    """Translate the Django exceptions a write or a body read may raise into DRF's."""
    if isinstance(exc, DjangoValidationError):
        # Ticket.save() keys its errors by field (the business rule names the field it broke).
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, RequestDataTooBig):
        # A body without Content-Length (chunked) is only found too big while it is read.
        return PayloadTooLarge()
    if isinstance(exc, UnreadablePostError):
        return exceptions.ParseError("The request body could not be read.")
    return exc


def exception_handler(exc, context):
    """DRF's handler, after translating Django's validation and body-size errors."""
    return drf_exception_handler(as_api_error(exc), context)
