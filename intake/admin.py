"""The links between senders' alerts, issues and incidents and their tickets: read-only, admins only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from intake.models import ExternalTicket
from tickets.admin_mixins import ReadOnlyAdminMixin


@admin.register(ExternalTicket)
class ExternalTicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which ticket stands for which external id, and what its sender said last."""

    list_display = ("external_id", "integration", "ticket_link", "sender_state", "updated_at", "created_at")
    list_filter = ("integration", "sender_state")
    search_fields = ("=external_id", "=ticket__id")
    list_select_related = ("integration",)
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="Ticket", ordering="ticket_id")
    def ticket_link(self, link: ExternalTicket) -> str:
        if link.ticket_id is None:
            return "-"
        url = reverse("admin:tickets_ticket_change", args=[link.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, link.ticket_id)
