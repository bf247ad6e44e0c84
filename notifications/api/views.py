"""`/api/channels` (with `/test`) and `/api/notifications` (with `/retry`)."""

from django.db.models import ProtectedError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from notifications.api.filters import DeliveryFilter
from notifications.api.serializers import ChannelSerializer, DeliverySerializer
from notifications.models import Channel, Delivery
from notifications.services import queue_notification, retry_delivery
from tickets import roles
from tickets.api import schema
from tickets.api.pagination import TicketPagination
from tickets.api.parsers import StrictJSONParser
from tickets.api.permissions import READ_ROLES, WRITE_ROLES, ReadWriteRoles, request_role
from tickets.api.serializers import NO_NUL_PATTERN


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the stored state."
    default_code = "conflict"


READ_ERRORS = {401: schema.UNAUTHENTICATED, 403: schema.FORBIDDEN, 429: schema.THROTTLED}
WRITE_ERRORS = {
    400: schema.bad_request("a value, or a combination of them", {"target": ["The URL must start with https://."]}),
    **READ_ERRORS, 413: schema.TOO_LARGE, 415: schema.UNSUPPORTED,
}  # fmt: skip
CHANNEL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The channel's id.")
DELIVERY_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The delivery's id."
)
NO_CHANNEL = schema.error("No channel has this id.")
EMPTY = {"type": "string", "maxLength": 0}
# What drf-spectacular cannot read off the log's FilterSet: a whole number (or empty), a bounded name.
LOG_FILTERS = [
    OpenApiParameter(
        "ticket", {"anyOf": [{"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}, EMPTY]},
        description="Deliveries about this ticket; empty: no filter.",
    ),
    OpenApiParameter(
        "channel", {"type": "string", "maxLength": 100, "pattern": NO_NUL_PATTERN},
        description="Deliveries to the channel of this name; empty: no filter.",
    ),
]  # fmt: skip
NO_DELIVERY = schema.error("No delivery has this id.")


class ApiViewMixin:
    """What every endpoint beside tickets shares: JSON in and out, roles, the API's throttle."""

    permission_classes = [ReadWriteRoles]
    read_roles, write_roles = READ_ROLES, WRITE_ROLES
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "api"
    not_found = "Not found."

    def get_object(self):
        try:
            return super().get_object()
        except (Http404, ValueError):
            raise NotFound(self.not_found) from None


@extend_schema_view(
    list=extend_schema(summary="List channels",
                       responses={200: ChannelSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="Read a channel", parameters=[CHANNEL_ID],
                           responses={200: ChannelSerializer, 404: NO_CHANNEL, **READ_ERRORS}),
    create=extend_schema(summary="Create a channel (admins)",
                         responses={201: ChannelSerializer, **WRITE_ERRORS}),
    update=extend_schema(summary="Replace a channel (admins)", parameters=[CHANNEL_ID],
                         responses={200: ChannelSerializer, 404: NO_CHANNEL, **WRITE_ERRORS}),
    partial_update=extend_schema(summary="Change a channel (admins)", parameters=[CHANNEL_ID],
                                 responses={200: ChannelSerializer, 404: NO_CHANNEL, **WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete a channel (admins)", parameters=[CHANNEL_ID],
                          responses={204: None, 404: NO_CHANNEL,
                                     409: schema.error("A rule names this channel."), **READ_ERRORS}),
)  # fmt: skip
class ChannelViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Where notifications go. Analysts read (URLs shortened to scheme and host); admins write."""

    queryset = Channel.objects.all()
    serializer_class = ChannelSerializer
    pagination_class = None
    filter_backends = []
    lookup_value_regex = "[^/]+"
    not_found = "No channel has this id."

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_target": request_role(self.request) == roles.ADMIN}

    def perform_destroy(self, channel):
        try:
            channel.delete()
        except ProtectedError:
            names = sorted({action.rule.name for action in channel.rule_actions.select_related("rule")})
            raise Conflict(f"Rules name this channel: {', '.join(names)}. Change them first.") from None

    @extend_schema(
        summary="Send a test message (admins)",
        description="Queues a test message to the channel; the delivery shows in /api/notifications.",
        parameters=[CHANNEL_ID],
        request=None,
        responses={202: DeliverySerializer, 404: NO_CHANNEL, 409: schema.error("The channel is not active."),
                   **READ_ERRORS},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        channel = self.get_object()
        delivery = queue_notification(event=Delivery.Event.TEST, channel=channel)
        if delivery is None:
            raise Conflict("The channel is not active: it gets nothing, test messages included.")
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="The notifications log, newest first",
        parameters=LOG_FILTERS,
        description="Page-numbered like /api/tickets; filters `status`, `channel` (its name), `ticket`, "
        "`event`.",
        responses={200: DeliverySerializer(many=True),
                   400: schema.bad_request("a filter, `page` or `page_size`",
                                           {"status": ["Select a valid choice."]}),
                   404: schema.error("The page is past the last page."), **READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One delivery", parameters=[DELIVERY_ID],
                           responses={200: DeliverySerializer, 404: NO_DELIVERY, **READ_ERRORS}),
)  # fmt: skip
class DeliveryViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Every message queued, with its status, attempts and last error."""

    queryset = Delivery.objects.order_by("-created_at", "-id")
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    pagination_class = TicketPagination
    lookup_value_regex = "[^/]+"
    not_found = "No delivery has this id."

    @extend_schema(
        summary="Queue a failed delivery again (admins)",
        parameters=[DELIVERY_ID],
        request=None,
        filters=False,
        responses={202: DeliverySerializer, 404: NO_DELIVERY,
                   409: schema.error("The delivery has not failed."), **READ_ERRORS},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        if not retry_delivery(delivery):
            raise Conflict(f"Only a failed delivery can be retried; this one is {delivery.status}.")
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
