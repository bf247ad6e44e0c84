"""Channels (admins edit; analysts read) and the delivery log (read-only, with a retry action)."""

from django import forms
from django.contrib import admin, messages

from notifications.api.serializers import shown_target, target_problem
from notifications.models import Channel, Delivery
from notifications.services import retry_delivery
from notifications.signing import secret_problem
from tickets import roles
from tickets.admin_mixins import ReadOnlyAdminMixin


class ChannelForm(forms.ModelForm):
    """Checks the target and secret as the API does; a blank secret keeps the stored one."""

    secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), max_length=200,
        help_text="Webhook channels only: whsec_… Leave blank to keep the stored secret.",
    )  # fmt: skip

    class Meta:
        model = Channel
        fields = ("name", "kind", "target", "secret", "active", "anomaly_alerts", "max_per_minute")

    def clean(self):
        data = super().clean()
        kind, target, secret = data.get("kind"), data.get("target") or "", data.get("secret") or ""
        problem = target_problem(kind, target)
        if problem:
            self.add_error("target", problem)
        stored = self.instance.secret if self.instance.pk else ""
        if kind == Channel.Kind.WEBHOOK:
            if secret and (problem := secret_problem(secret)):
                self.add_error("secret", problem)
            elif not secret and not stored:
                self.add_error("secret", "A webhook channel needs a secret (whsec_…).")
            data["secret"] = secret or stored
        elif secret:
            self.add_error("secret", "Only webhook channels have a secret.")
        else:
            data["secret"] = ""
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "target_shown", "active", "anomaly_alerts", "max_per_minute")
    list_filter = ("kind", "active")
    search_fields = ("name",)

    @admin.display(description="Target")
    def target_shown(self, channel: Channel) -> str:
        return shown_target(channel.target) if channel.is_url else channel.target

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if roles.role_of(request.user) != roles.ADMIN:
            fields = [name for name in fields if name not in ("target", "secret")] + ["target_shown"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ("target_shown",) if roles.role_of(request.user) != roles.ADMIN else ()


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message queued; admins may queue a failed one again."""

    list_display = ("created_at", "event", "channel_name", "recipients", "ticket_id", "rule_name", "status",
                    "attempts", "response_code", "last_error", "sent_at")  # fmt: skip
    list_filter = ("status", "channel", "event")
    search_fields = ("=ticket_id", "channel_name", "rule_name")
    ordering = ("-created_at",)
    actions = ("retry",)
    show_full_result_count = False
    list_per_page = 100

    def has_retry_permission(self, request) -> bool:
        return roles.role_of(request.user) == roles.ADMIN

    @admin.action(description="Retry the selected failed deliveries", permissions=["retry"])
    def retry(self, request, queryset):
        failed = queryset.filter(status=Delivery.Status.FAILED)
        queued = sum(retry_delivery(delivery) for delivery in failed)
        skipped = queryset.count() - queued
        self.message_user(request, f"Queued {queued} deliveries again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} were not failed and were left alone.", messages.WARNING)
