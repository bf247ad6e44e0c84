"""The webhook's payload: what an integration may say about the ticket it sends."""

from tickets.api.serializers import StrictModelSerializer, TicketSerializer


class WebhookTicketSerializer(StrictModelSerializer):
    """`title` (required), `description`, `priority`, `assigned_to`, `external_id`.

    Anything else in the payload is ignored: status, id and timestamps are
    never taken from a sender. Types, enums and lengths are checked exactly
    as for the API.
    """

    class Meta(TicketSerializer.Meta):
        fields = ("title", "description", "priority", "assigned_to", "external_id")
        read_only_fields = ()
