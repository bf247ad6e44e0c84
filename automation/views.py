"""`POST /webhook/ticket`: tickets from integrations, signed as Standard Webhooks says."""

from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from automation import signatures, webhook
from automation.serializers import WebhookTicketSerializer
from tickets.api import schema
from tickets.api.exceptions import PayloadTooLarge
from tickets.api.parsers import StrictJSONParser
from tickets.api.serializers import TicketSerializer

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
UNAUTHORIZED = {"detail": "The webhook signature did not verify."}
TOO_MANY_REFUSALS = {
    "detail": "Too many refused deliveries from this address; retry after Retry-After seconds."
}


class IntegrationRateThrottle(SimpleRateThrottle):
    """TRIAGE_WEBHOOK_RATE deliveries per integration (the view sets `view.integration`)."""

    scope = "webhook"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": view.integration.pk}


class RefusalRateThrottle(SimpleRateThrottle):
    """TRIAGE_WEBHOOK_REFUSAL_RATE logged refusals per client address.

    Every refused delivery (bad signature, throttled, too large) is logged,
    and the log must not grow without bound under a flood of junk: past
    this rate an address's refusals are answered 429 and not logged. Only
    refusals count, so junk from an address never slows a valid sender.
    The address is REMOTE_ADDR (REST_FRAMEWORK NUM_PROXIES is 0): a
    forwarded-for header is the client's to invent.
    """

    scope = "webhook_refusals"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def may_log_refusal(request) -> tuple[bool, int]:
    """Whether this address may log one more refused delivery, and else the seconds to wait."""
    throttle = RefusalRateThrottle()
    if throttle.allow_request(request, None):
        return True, 0
    return False, max(1, int(throttle.wait() or 1))


def envelope_of(request) -> webhook.Envelope:
    """The signature headers, raw body and peer address of a request (the body read here)."""
    headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
    return webhook.Envelope(headers, request.body, request.META.get("REMOTE_ADDR"))


@extend_schema(
    summary="Create a ticket from an integration (signed webhook)",
    description=(
        "Standard Webhooks: sign `{webhook-id}.{webhook-timestamp}.{raw body}` with HMAC-SHA256 keyed "
        "by the base64-decoded part of the integration's `whsec_` secret. Timestamps more than five "
        "minutes from the server's clock are refused. A repeated `webhook-id` (per integration) is "
        "answered 200 with the ticket made the first time, and creates nothing. Fields other than "
        "the ones below are ignored; status, id and timestamps are never taken from the sender. The "
        "automation rules apply; the audit trail names the integration, source `webhook`."
    ),
    auth=[],
    request=WebhookTicketSerializer,
    parameters=[
        OpenApiParameter(
            "webhook-id",
            {"type": "string", "pattern": f"^[!-~]{{1,{signatures.MAX_WEBHOOK_ID_LENGTH}}}$"},
            OpenApiParameter.HEADER,
            required=True,
            description="The delivery's unique id (1-255 printable ASCII characters); the idempotency key.",
        ),
        OpenApiParameter(
            "webhook-timestamp",
            {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
            OpenApiParameter.HEADER,
            required=True,
            description="When it was signed, in whole seconds since 1970-01-01 UTC.",
        ),
        OpenApiParameter(
            "webhook-signature",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description="`v1,<base64 HMAC-SHA256>`; several space-separated entries are allowed (rotation).",
        ),
    ],
    responses={
        201: OpenApiResponse(TicketSerializer, description="Accepted: the ticket as stored."),
        200: OpenApiResponse(TicketSerializer, description="A repeat: the ticket made the first time."),
        400: schema.bad_request(
            "the body is not JSON, or a field is missing or invalid", {"title": ["This field is required."]}
        ),
        401: schema.error("Missing or wrong signature, or a timestamp out of tolerance; nothing created."),
        413: schema.TOO_LARGE,
        429: schema.THROTTLED,
        503: schema.UNAVAILABLE,
    },
)
class WebhookView(APIView):
    """Verify, throttle per integration, then create (or replay); every delivery is logged."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    # The body is read raw (it is signed byte for byte); the parser only tells the schema it is JSON.
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    integration = None

    def post(self, request):
        try:
            envelope = envelope_of(request)
        except RequestDataTooBig:
            return self._too_large(request, None)
        except UnreadablePostError:
            return Response({"detail": "The request body could not be read."}, status=400)
        try:
            self.integration = webhook.identify(envelope)
        except webhook.Unverified as error:
            return self._refuse(request, envelope, 401, error.reason, UNAUTHORIZED, error.integration)
        throttle = IntegrationRateThrottle()
        if not throttle.allow_request(request, self):
            wait = str(max(1, int(throttle.wait() or 1)))
            detail = {"detail": "Too many deliveries."}
            return self._refuse(request, envelope, 429, "throttled", detail, self.integration, wait)
        return self._answer(webhook.accept(envelope, self.integration))

    def _refuse(
        self, request, envelope, status, reason, data, integration=None, retry_after=None
    ) -> Response:
        """Log and answer a refusal, unless this address has logged too many lately (then 429, unlogged)."""
        allowed, wait = may_log_refusal(request)
        if not allowed:
            return Response(TOO_MANY_REFUSALS, status=429, headers={"Retry-After": str(wait)})
        headers = {"Retry-After": retry_after} if retry_after else None
        return self._answer(webhook.reject(envelope, status, reason, data, integration), headers=headers)

    @staticmethod
    def _answer(answer: webhook.Answer, headers=None) -> Response:
        return Response(answer.data, status=answer.status_code, headers=headers)

    @classmethod
    def on_body_too_large(cls, request, length: int | None) -> None:
        """Called by the body-size middleware: log the refused delivery (its body unread).

        Past the address's refusal rate it is not logged (the answer stays 413).
        """
        if not may_log_refusal(request)[0]:
            return
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        envelope = webhook.Envelope(headers, b"", request.META.get("REMOTE_ADDR"), body_bytes=length or 0)
        webhook.reject(envelope, 413, _too_large_reason(length), {})

    def _too_large(self, request, length):
        self.on_body_too_large(request, length)
        return Response({"detail": PayloadTooLarge().detail}, status=413)


def _too_large_reason(length: int | None) -> str:
    if length is None:
        return "body over the size limit (chunked; refused unread)"
    return f"body of {length} bytes is over the size limit; refused unread"
