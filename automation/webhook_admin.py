"""Django admin for integrations of every kind (admins only) and the read-only delivery log."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from automation import integrations
from automation.models import Integration, WebhookDelivery
from tickets.admin_mixins import ReadOnlyAdminMixin


class IntegrationAddForm(forms.ModelForm):
    """A new integration of any kind: its secret is generated unless the admin pastes one."""

    kind = forms.ChoiceField(
        choices=Integration.Kind.choices,
        required=False,
        initial=Integration.Kind.STANDARD,
        help_text="What sends to it. The standard webhook's senders post to /webhook/ticket; the others "
        "to /webhook/<kind>/<name>. It cannot be changed later.",
    )
    secret = forms.CharField(
        required=False,
        max_length=200,
        help_text="Leave empty to generate one. It is shown once, after saving. For PagerDuty, paste the "
        "secret PagerDuty shows when you make the webhook subscription (rotate to paste a new one).",
    )

    class Meta:
        model = Integration
        fields = ("name", "kind", "active", "secret")

    def clean_kind(self):
        return self.cleaned_data["kind"] or Integration.Kind.STANDARD

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or Integration.Kind.STANDARD
        secret = (data.get("secret") or "").strip()
        if not secret:
            data["secret"] = integrations.generate_secret(kind)
            return data
        try:
            integrations.check_secret(kind, secret)
        except integrations.SecretError as error:
            self.add_error("secret", str(error))
        data["secret"] = secret
        return data


class IntegrationChangeForm(forms.ModelForm):
    """An integration's settings; Alertmanager's severity mapping is edited as `severity = priority` lines.

    A secret is never shown here; one may be pasted to replace it (PagerDuty
    generates its own, so re-keying a PagerDuty integration means pasting).
    """

    new_secret = forms.CharField(
        label="Replace the secret",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current one. A secret pasted here replaces it at once.",
    )
    severity_map = forms.CharField(
        label="Severity → priority",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 40}),
        help_text="Alertmanager only. One `severity = priority` a line (low, medium or high), matched "
        "against each alert's severity label, ignoring case.",
    )

    class Meta:
        model = Integration
        fields = ("name", "active", "other_severity_priority")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity_map"].initial = integrations.format_severity_priorities(
            self.instance.severity_priorities or {}
        )

    def clean_severity_map(self):
        if self.instance.kind != Integration.Kind.ALERTMANAGER:
            return self.instance.severity_priorities
        try:
            return integrations.parse_severity_priorities(self.cleaned_data["severity_map"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_new_secret(self):
        secret = self.cleaned_data["new_secret"].strip()
        if secret:
            try:
                integrations.check_secret(self.instance.kind, secret)
            except integrations.SecretError as error:
                raise forms.ValidationError(str(error)) from None
        return secret

    def save(self, commit=True):
        self.instance.severity_priorities = self.cleaned_data["severity_map"]
        if self.cleaned_data["new_secret"]:
            self.instance.secret = self.cleaned_data["new_secret"]
            self.instance.secret_rotated_at = timezone.now()
        return super().save(commit)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """Integrations of every kind: the secret is shown once (on creation or rotation), never listed."""

    list_display = (
        "name", "kind", "active", "path", "secret_hint", "created_at", "secret_rotated_at", "deliveries",
    )  # fmt: skip
    list_filter = ("kind", "active")
    search_fields = ("name",)
    readonly_fields = ("kind", "path", "secret_hint", "created_at", "secret_rotated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = IntegrationAddForm if obj is None else IntegrationChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "kind", "active", "secret")
        fields = [
            "name",
            "kind",
            "path",
            "active",
            "secret_hint",
            "new_secret",
            "created_at",
            "secret_rotated_at",
        ]
        if obj.kind == Integration.Kind.ALERTMANAGER:
            fields += ["severity_map", "other_severity_priority"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="Sender URL path")
    def path(self, integration: Integration) -> str:
        return integration.path

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
        integration, _ = integrations.integration_save_secret(name=integration.name)
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
        "received_at", "source", "outcome", "status_code", "integration", "webhook_id", "ticket", "reason",
        "signed_at", "body_bytes", "remote_addr",
    )  # fmt: skip
    list_filter = ("source", "outcome", "integration", "status_code", "received_at")
    search_fields = ("webhook_id", "=ticket_id", "reason", "body_sha256")
    list_select_related = ("integration",)
    ordering = ("-received_at", "-id")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="Ticket", ordering="ticket_id")
    def ticket(self, delivery: WebhookDelivery) -> str:
        """The ticket, or for an alert source's batch how many tickets it created, updated and left."""
        if delivery.ticket_id is not None:
            url = reverse("admin:tickets_ticket_change", args=[delivery.ticket_id])
            return format_html('<a href="{}">#{}</a>', url, delivery.ticket_id)
        answer = delivery.answer or {}
        counts = [(key, len(answer.get(key) or [])) for key in ("created", "updated", "unchanged")]
        if not any(count for _, count in counts):
            return "-"
        return ", ".join(f"{count} {key}" for key, count in counts if count)
