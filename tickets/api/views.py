"""`/api/tickets`: list, read, create, update, delete, and each ticket's audit trail."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from tickets import idempotency, invariants, services
from tickets.api import headers, schema
from tickets.api.pagination import TicketPagination
from tickets.api.parsers import StrictJSONParser
from tickets.api.permissions import TicketAccess, check_ticket_write
from tickets.api.serializers import NO_NUL_PATTERN, TicketEventSerializer, TicketSerializer
from tickets.audit import Actor
from tickets.filters import TicketFilter
from tickets.models import Ticket, TicketEvent

WRITE_ERRORS = {
    400: schema.bad_request(
        "a type, enum value, length or the business rule", {"status": [invariants.ASSIGNMENT_RULE]}
    ),
    401: schema.UNAUTHENTICATED,
    403: schema.FORBIDDEN,
    413: schema.TOO_LARGE,
    415: schema.UNSUPPORTED,
    429: schema.THROTTLED,
    503: schema.UNAVAILABLE,
}
READ_ERRORS = {
    401: schema.UNAUTHENTICATED,
    403: schema.FORBIDDEN,
    429: schema.THROTTLED,
    503: schema.UNAVAILABLE,
}
PAGE_ERROR = schema.bad_request("a `page` or `page_size` value", {"page": ["Must be a whole number from 1."]})
STALE = schema.error("`If-Match` names another version than the stored one; nothing was written.")
TICKET_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The ticket's id.")
# What PUT and PATCH share in the schema: rules apply, role limits, If-Match.
CHANGE_DOCS = {
    "description": "Rules apply. Support may not change `priority` or `assigned_to`. With `If-Match`, "
    "only if the ticket is still at the version you read.",
    "parameters": [TICKET_ID, headers.IF_MATCH, headers.etag_header(200)],
    "responses": {200: TicketSerializer, 404: schema.NOT_FOUND, 412: STALE, **WRITE_ERRORS},
}
# Filters whose schema drf-spectacular cannot read off the FilterSet: the limits of the text
# fields, and the empty value that every single-valued filter takes as "no filter" (what the
# dashboard's form sends for a field left blank).
EMPTY = {"type": "string", "maxLength": 0}
LIST_FILTERS = [
    OpenApiParameter(
        "assigned_to",
        {"type": "string", "maxLength": 100, "pattern": NO_NUL_PATTERN},
        description="Exactly this assignee (trimmed); empty: no filter.",
    ),
    OpenApiParameter(
        "search",
        {"type": "string", "maxLength": 200, "pattern": NO_NUL_PATTERN},
        description="Text found in the title or the description (case-insensitive); empty: no filter.",
    ),
    OpenApiParameter(
        "unassigned",
        {"type": "string", "enum": ["true", "false", ""]},
        description="`true`: only tickets without an assignee; `false`: only assigned ones; "
        "empty: no filter.",
    ),
    *(
        OpenApiParameter(
            name,
            {"anyOf": [{"type": "string", "format": "date"}, EMPTY]},
            description=f"Created on or {word} this day (inclusive, in the server's time zone); "
            "empty: no filter.",
        )
        for name, word in (("created_after", "after"), ("created_before", "before"))
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="List tickets, newest first",
        description="Page-numbered (`page`, `page_size` up to 500); filters may be combined.",
        parameters=LIST_FILTERS,
        responses={
            200: TicketSerializer,
            400: schema.bad_request(
                "a filter, `page` or `page_size` value", {"status": ['"done" is not a valid choice.']}
            ),
            404: schema.error("The page is past the last page."),
            **READ_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="Read a ticket",
        description="The `ETag` header carries the ticket's version, for `If-Match` on a later change.",
        parameters=[TICKET_ID, headers.etag_header(200)],
        responses={200: TicketSerializer, 404: schema.NOT_FOUND, **READ_ERRORS},
    ),
    create=extend_schema(
        summary="Create a ticket",
        description="The automation rules apply; the answer is the ticket as stored. Support may not set "
        "`assigned_to`. With `Idempotency-Key`, a retry creates nothing and gets the first answer.",
        parameters=[
            headers.IDEMPOTENCY_KEY,
            headers.etag_header(201),
            headers.LOCATION,
            headers.IDEMPOTENT_REPLAYED,
        ],
        responses={
            201: TicketSerializer,
            422: schema.error("The `Idempotency-Key` was used before with another request body."),
            **WRITE_ERRORS,
        },
    ),
    update=extend_schema(summary="Replace a ticket's fields", **CHANGE_DOCS),
    partial_update=extend_schema(summary="Change some of a ticket's fields", **CHANGE_DOCS),
    destroy=extend_schema(
        summary="Delete a ticket (admins only)",
        description="The audit trail is kept and records the deletion. `If-Match` works as for updates.",
        parameters=[TICKET_ID, headers.IF_MATCH],
        responses={
            204: None,
            404: schema.NOT_FOUND,
            412: STALE,
            **READ_ERRORS,
        },
    ),
)
class TicketViewSet(viewsets.ModelViewSet):
    """Tickets over HTTP. Writes go through `tickets.services`, so rules and audit apply."""

    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    permission_classes = [TicketAccess]
    filterset_class = TicketFilter
    pagination_class = TicketPagination
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "api"
    lookup_value_regex = "[^/]+"

    def get_object(self) -> Ticket:
        try:
            return super().get_object()
        except Http404:
            raise NotFound("No ticket has this id.") from None

    def known_count(self, request) -> int | None:
        """The list's total from a registered counter (the dashboard's summary), if it can tell.

        COUNT(*) over a million filtered tickets costs more than the page
        itself; the summary answers every filter but `search` exactly.
        """
        if self.action != "list":
            return None
        filterset = TicketFilter(request.query_params, queryset=Ticket.objects.none())
        return filterset.known_count() if filterset.is_valid() else None

    def actor(self) -> Actor:
        return Actor.for_user(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return with_ticket_headers(super().retrieve(request, *args, **kwargs))

    def create(self, request, *args, **kwargs):
        """Create; with an `Idempotency-Key`, at most once per key (a retry gets the first answer)."""
        key = headers.idempotency_key(request)
        if key is None:
            return with_ticket_headers(super().create(request, *args, **kwargs))
        request_hash = idempotency.fingerprint("POST", "/api/tickets", request.data)

        def respond() -> tuple[int, dict]:
            response = super(TicketViewSet, self).create(request, *args, **kwargs)
            return response.status_code, dict(response.data)

        answer = idempotency.answer_once(
            user=request.user, key=key, request_hash=request_hash, respond=respond
        )
        response = Response(answer.body, status=answer.status_code)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return with_ticket_headers(response)

    def update(self, request, *args, **kwargs):
        return with_ticket_headers(super().update(request, *args, **kwargs))

    def perform_create(self, serializer):
        check_ticket_write(self.request, serializer.validated_data, None)
        serializer.instance = services.ticket_create(
            actor=self.actor(), source="api", **serializer.validated_data
        )

    def perform_update(self, serializer):
        ticket = serializer.instance
        expected_versions = headers.expected_versions(self.request)
        check_ticket_write(self.request, serializer.validated_data, ticket)
        # Only what differs from the ticket as this request read it is written: a
        # value sent back unchanged (a PUT's whole representation) must not undo
        # a change someone made in the meantime.
        changes = {
            name: value for name, value in serializer.validated_data.items() if value != getattr(ticket, name)
        }
        services.ticket_update(
            ticket, actor=self.actor(), source="api", expected_versions=expected_versions, **changes
        )

    def perform_destroy(self, instance):
        services.ticket_delete(
            instance,
            actor=self.actor(),
            source="api",
            expected_versions=headers.expected_versions(self.request),
        )

    @extend_schema(
        summary="A ticket's audit trail, oldest first",
        description="Every create, change (by a person, integration or rule) and delete. The trail "
        "outlives the ticket: it is still answered after a delete.",
        parameters=[TICKET_ID],
        filters=False,
        responses={
            200: TicketEventSerializer(many=True),
            400: PAGE_ERROR,
            404: schema.error("No ticket with this id ever existed."),
            **READ_ERRORS,
        },
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The ticket's events, paginated like the list (the trail outlives a deleted ticket)."""
        if not pk.isascii() or not pk.isdigit() or len(pk) > 18:
            raise NotFound("No ticket has this id.")
        events = TicketEvent.objects.filter(ticket_id=int(pk)).order_by("id")
        page = self.paginate_queryset(events)
        if self.paginator.page.paginator.count == 0:
            raise NotFound("No ticket has this id.")
        return self.get_paginated_response(TicketEventSerializer(page, many=True).data)


def with_ticket_headers(response: Response) -> Response:
    """Add the `ETag` (and, for a create, the `Location`) of the ticket an answer carries."""
    if response.status_code in (status.HTTP_200_OK, status.HTTP_201_CREATED):
        response["ETag"] = headers.etag(response.data["version"])
    if response.status_code == status.HTTP_201_CREATED:
        response["Location"] = f"/api/tickets/{response.data['id']}"
    return response
