"""The tickets of the live feed, in the API's ticket JSON."""

from rest_framework import serializers

from tickets.models import Ticket


class FeedTicketSerializer(serializers.ModelSerializer):
    """A ticket as the API shows it: every field, timestamps in ISO 8601 with their offset."""

    class Meta:
        model = Ticket
        fields = [
            "id", "title", "description", "status", "priority", "created_at", "updated_at",
            "assigned_to", "source", "external_id", "version",
        ]  # fmt: skip
        read_only_fields = fields
