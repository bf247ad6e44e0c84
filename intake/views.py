"""`POST /webhook/<source>/<integration name>`: Alertmanager, GitHub and PagerDuty in their own formats."""

from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from automation.views import TOO_MANY_REFUSALS, IntegrationRateThrottle, may_log_refusal
from automation.webhook import Answer, Envelope, reject
from intake import deliveries
from intake.events import Unverified
from intake.sources import SOURCES
from tickets.api.exceptions import PayloadTooLarge

UNAUTHORIZED = {"detail": "The request's signature or token did not verify."}


@extend_schema(exclude=True)  # the senders' own formats, documented on the integrators' page
class AlertSourceView(APIView):
    """Find the source and the integration, verify, throttle, then apply; every delivery is logged."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    integration = None

    def post(self, request, source, name):
        adapter = SOURCES.get(source)
        try:
            envelope = envelope_of(request, adapter, source)
        except RequestDataTooBig:
            self.on_body_too_large(request, None)
            return Response({"detail": PayloadTooLarge().detail}, status=413)
        except UnreadablePostError:
            return Response({"detail": "The request body could not be read."}, status=400)
        if adapter is None:
            known = ", ".join(SOURCES)
            detail = {"detail": f"There is no alert source called {source[:50]!r}; the sources are {known}."}
            return self._refuse(request, envelope, 404, f"unknown source {source[:50]!r}", detail)
        self.integration = deliveries.find_integration(source, name)
        if self.integration is None:
            detail = {"detail": f"No {source} integration is called {name[:100]!r}."}
            return self._refuse(request, envelope, 404, f"no {source} integration {name[:100]!r}", detail)
        try:
            deliveries.authenticate(adapter, self.integration, envelope)
        except Unverified as error:
            return self._refuse(request, envelope, 401, error.reason, UNAUTHORIZED, self.integration)
        throttle = IntegrationRateThrottle()
        if not throttle.allow_request(request, self):
            wait = str(max(1, int(throttle.wait() or 1)))
            detail = {"detail": "Too many deliveries."}
            return self._refuse(request, envelope, 429, "throttled", detail, self.integration, wait)
        return _response(deliveries.accept(adapter, self.integration, envelope))

    def _refuse(
        self, request, envelope, status, reason, data, integration=None, retry_after=None
    ) -> Response:
        """Log and answer a refusal, unless this address has logged too many lately (then 429, unlogged)."""
        allowed, wait = may_log_refusal(request)
        if not allowed:
            return Response(TOO_MANY_REFUSALS, status=429, headers={"Retry-After": str(wait)})
        headers = {"Retry-After": retry_after} if retry_after else None
        return _response(reject(envelope, status, reason, data, integration), headers=headers)

    @classmethod
    def on_body_too_large(cls, request, length: int | None) -> None:
        """Called by the body-size middleware: log the refused delivery (its body unread)."""
        if not may_log_refusal(request)[0]:
            return
        try:
            kwargs = resolve(request.path_info).kwargs
        except Resolver404:
            return
        source, name = kwargs.get("source", ""), kwargs.get("name", "")
        adapter = SOURCES.get(source)
        integration = deliveries.find_integration(source, name) if adapter else None
        envelope = Envelope(
            {}, b"", request.META.get("REMOTE_ADDR"), body_bytes=length or 0, source=source if adapter else ""
        )
        envelope.delivery_id = ""
        if length is None:
            reason = "body over the size limit (chunked; refused unread)"
        else:
            reason = f"body of {length} bytes is over the size limit; refused unread"
        reject(envelope, 413, reason, {}, integration)


def envelope_of(request, adapter, source: str) -> Envelope:
    """The headers the source reads, the raw body (read here) and the peer's address."""
    names = adapter.HEADERS if adapter is not None else ()
    headers = {name: request.headers.get(name, "") for name in names}
    envelope = Envelope(
        headers, request.body, request.META.get("REMOTE_ADDR"), source=source if adapter is not None else ""
    )
    envelope.delivery_id = adapter.delivery_id(headers, envelope.body) if adapter is not None else ""
    return envelope


def _response(answer: Answer, headers=None) -> Response:
    return Response(answer.data, status=answer.status_code, headers=headers)
