"""Django admin for tickets and their audit trail, fast at a million rows."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.functional import cached_property

from tickets.admin_mixins import ReadOnlyAdminMixin
from tickets.audit import Actor, acting_as
from tickets.fields import TRACKED_FIELDS
from tickets.models import Ticket, TicketEvent
from tickets.pipeline import TicketChange, TicketRefused, write_tickets

# Counting more rows than this for the changelist costs more than it tells.
COUNT_CAP = 100_000
# The most tickets one bulk action changes; larger selections are refused.
BULK_ACTION_LIMIT = 5_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows (a bounded index scan).

    Beyond the cap the changelist says "100001 results" (the cap and one)
    and pages that far, instead of scanning a million rows on every view.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()


class CalendarQuerySet(Ticket.objects.none().__class__):
    """The changelist's queryset, with a cheap date hierarchy.

    The admin's date drill-down asks for the distinct days (or months) that
    have tickets, which is a full scan with date truncation at a million
    rows. Here it offers every day or month between the first and the last
    ticket instead: two index lookups.
    """

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first = timezone.localtime(bounds["first"]).date()
        last = timezone.localtime(bounds["last"]).date()
        if kind == "year":
            points = [datetime.date(year, 1, 1) for year in range(first.year, last.year + 1)]
        elif kind == "month":
            points = []
            year, month = first.year, first.month
            while (year, month) <= (last.year, last.month):
                points.append(datetime.date(year, month, 1))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            points = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        zone = timezone.get_current_timezone()
        return [datetime.datetime.combine(point, datetime.time(), tzinfo=zone) for point in points]


class AssigneeFilter(admin.SimpleListFilter):
    """Filter by assignee; the list of names is cached for a minute."""

    title = "assignee"
    parameter_name = "assigned_to"

    def lookups(self, request, model_admin):
        names = cache.get("tickets:assignee-names")
        if names is None:
            names = list(
                Ticket.objects.exclude(assigned_to="")
                .order_by("assigned_to")
                .values_list("assigned_to", flat=True)
                .distinct()[:200]
            )
            cache.set("tickets:assignee-names", names, 60)
        return [("__none__", "Unassigned"), *[(name, name) for name in names]]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "__none__":
            return queryset.filter(assigned_to="")
        if value:
            return queryset.filter(assigned_to=value)
        return queryset


class TicketEventInline(admin.TabularInline):
    """The ticket's audit trail, read-only, newest last."""

    model = TicketEvent
    fields = ("created_at", "kind", "actor", "source", "changes", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)
    verbose_name_plural = "Audit trail"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketActionForm(ActionForm):
    """The action bar, with a field for the reassign action."""

    assigned_to = forms.CharField(
        required=False, max_length=100, label="Assignee", help_text="For “Reassign selected”."
    )


class TicketForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = TRACKED_FIELDS


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets for staff: columns, filters, search, bulk actions and the trail inline."""

    form = TicketForm
    list_display = ("id", "title", "status", "priority", "assigned_to", "created_at", "updated_at")
    list_display_links = ("id", "title")
    list_filter = ("status", "priority", AssigneeFilter, "created_at", "source")
    search_fields = ("title", "description", "=external_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False
    readonly_fields = ("source", "created_at", "updated_at", "closed_at", "version")
    fieldsets = (
        (None, {"fields": ("title", "description")}),
        ("Routing", {"fields": ("status", "priority", "assigned_to")}),
        ("Origin", {"fields": ("external_id", "external_url", "source")}),
        ("History", {"fields": ("created_at", "updated_at", "closed_at", "version")}),
    )
    inlines = (TicketEventInline,)
    action_form = TicketActionForm
    actions = ("close_selected", "reassign_selected")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        queryset.__class__ = CalendarQuerySet
        return queryset

    def save_model(self, request, obj, form, change):
        with acting_as(Actor.for_user(request.user), source="admin"):
            obj.save()

    def delete_model(self, request, obj):
        with acting_as(Actor.for_user(request.user), source="admin"):
            obj.delete()

    def delete_queryset(self, request, queryset):
        with acting_as(Actor.for_user(request.user), source="admin"):
            super().delete_queryset(request, queryset)

    @admin.action(description="Close selected tickets", permissions=["change"])
    def close_selected(self, request, queryset):
        self._bulk_change(request, queryset, {"status": Ticket.Status.CLOSED}, "closed")

    @admin.action(description="Reassign selected tickets (to the assignee above)", permissions=["change"])
    def reassign_selected(self, request, queryset):
        assignee = (request.POST.get("assigned_to") or "").strip()
        if len(assignee) > 100:
            self.message_user(request, "An assignee has at most 100 characters.", messages.ERROR)
            return
        self._bulk_change(
            request, queryset, {"assigned_to": assignee}, f"reassigned to “{assignee or 'nobody'}”"
        )

    def _bulk_change(self, request, queryset, values: dict, verb: str) -> None:
        """Change the selection through the write pipeline, as one batch: rules, checks and audit apply."""
        ids = list(queryset.order_by("id").values_list("id", flat=True)[: BULK_ACTION_LIMIT + 1])
        if len(ids) > BULK_ACTION_LIMIT:
            self.message_user(
                request,
                f"Select at most {BULK_ACTION_LIMIT:,} tickets for a bulk action; narrow the filter.",
                messages.ERROR,
            )
            return
        try:
            with acting_as(Actor.for_user(request.user), source="admin"):
                writes = write_tickets([TicketChange.update(ticket_id, values) for ticket_id in ids])
        except TicketRefused as error:
            reason = f"ticket #{error.ticket_id}: {' '.join(error.messages)}"
            self.message_user(request, f"Nothing changed: {reason}", messages.ERROR)
            return
        except Ticket.DoesNotExist as error:
            self.message_user(request, f"Nothing changed: {error} any more.", messages.ERROR)
            return
        changed = sum(1 for write in writes if write.changes)
        self.message_user(request, f"{changed} of {len(ids)} tickets {verb}.", messages.SUCCESS)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The whole audit trail, read-only."""

    list_display = ("id", "created_at", "ticket_id", "kind", "actor", "source", "changes")
    list_filter = ("kind", "source", "actor_type")
    search_fields = ("=ticket_id", "actor_name")
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100
