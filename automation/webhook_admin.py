"""Django admin for webhook integrations (admins only) and the read-only delivery log."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from automation import signatures
from automation.models import Integration, WebhookDelivery
from automation.webhook import integration_save_secret
from tickets.admin_mixins import ReadOnlyAdminMixin


class IntegrationAddForm(forms.ModelForm):
    """A new integration: its secret is generated unless the admin pastes one."""

    secret = forms.CharField(
        required=False,
        max_length=200,
        help_text="Leave empty to generate one. It is shown once, after saving.",
    )

    class Meta:
        model = Integration
        fields = ("name", "active", "secret")

    def clean_secret(self):
        secret = self.cleaned_data["secret"].strip()
        if not secret:
            return signatures.generate_secret()
        try:
            signatures.decode_secret(secret)
        except signatures.SecretError as error:
            raise forms.ValidationError(str(error)) from None
        return secret


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """Integrations: the secret is shown once (on creation or rotation), never listed."""

    list_display = ("name", "active", "secret_hint", "created_at", "secret_rotated_at", "deliveries")
    list_filter = ("active",)
    search_fields = ("name",)
    fields = ("name", "active", "secret_hint", "created_at", "secret_rotated_at")
    readonly_fields = ("secret_hint", "created_at", "secret_rotated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IntegrationAddForm
            kwargs["fields"] = ("name", "active", "secret")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("name", "active", "secret") if obj is None else self.fields

    @admin.display(description="Deliveries")
    def deliveries(self, integration: Integration) -> str:
        url = reverse("admin:automation_webhookdelivery_changelist")
        return format_html('<a href="{}?integration__id__exact={}">log</a>', url, integration.pk)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/rotate-secret/",
                self.admin_site.admin_view(require_POST(self.rotate_secret_view)),
                name="automation_integration_rotate_secret",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "rotate_url": reverse("admin:automation_integration_rotate_secret", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secret(request, obj, "created")

    def rotate_secret_view(self, request, object_id):
        """Give the integration a new random secret and show it once; the old one stops verifying."""
        integration = get_object_or_404(Integration, pk=object_id)
        if not self.has_change_permission(request, integration):
            raise PermissionDenied
        integration, _ = integration_save_secret(name=integration.name)
        self.log_change(request, integration, [{"changed": {"fields": ["secret"]}}])
        return self._show_secret(request, integration, "rotated")

    def _show_secret(self, request, integration: Integration, what: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": integration,
            "title": f"Secret of {integration.name}",
            "what": what,
            "secret": integration.secret,
        }
        response = TemplateResponse(request, "admin/automation/integration/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every delivery, accepted or not, with the reason: read-only."""

    list_display = (
        "received_at", "outcome", "status_code", "integration", "webhook_id", "ticket", "reason",
        "signed_at", "body_bytes", "remote_addr",
    )  # fmt: skip
    list_filter = ("outcome", "integration", "status_code", "received_at")
    search_fields = ("webhook_id", "=ticket_id", "reason", "body_sha256")
    list_select_related = ("integration",)
    ordering = ("-received_at", "-id")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="Ticket", ordering="ticket_id")
    def ticket(self, delivery: WebhookDelivery) -> str:
        if delivery.ticket_id is None:
            return "-"
        url = reverse("admin:tickets_ticket_change", args=[delivery.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, delivery.ticket_id)
