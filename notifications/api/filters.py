"""Filters of the notifications log: `status`, `channel` (its name), `ticket`, `event`."""

import django_filters
from django import forms

from notifications.models import Delivery


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Delivery.Status.choices)
    channel = django_filters.CharFilter(
        field_name="channel_name", max_length=100, help_text="A channel's name."
    )
    ticket = WholeNumberFilter(field_name="ticket_id", min_value=-(2**63), max_value=2**63 - 1)
    event = django_filters.MultipleChoiceFilter(choices=Delivery.Event.choices)

    class Meta:
        model = Delivery
        fields = ("status", "channel", "ticket", "event")
