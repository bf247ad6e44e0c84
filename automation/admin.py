"""Django admin for automation rules (with a dry run) and the automation log.

Integrations and webhook deliveries have their admins in `webhook_admin.py`.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from automation import engine, rulebook, webhook_admin  # noqa: F401 - webhook_admin registers its admins
from automation.models import AutomationLog, Rule, RuleAction, RuleCondition
from tickets.admin_mixins import ReadOnlyAdminMixin
from tickets.models import Ticket


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ("field", "operator", "value")

    def clean(self):
        data = super().clean()
        operator, value = data.get("operator"), (data.get("value") or "").strip()
        if operator and operator not in engine.VALUELESS_OPERATORS and value == "" and operator != "is":
            self.add_error("value", "This operator needs a value.")
        if data.get("field") and operator:
            spec = RuleCondition(field=data["field"], operator=operator, value=value).spec()
            for problem in engine._value_problems(spec.field, spec.value, spec.operator):
                self.add_error("value", problem)
        data["value"] = value
        return data


class RuleActionForm(forms.ModelForm):
    class Meta:
        model = RuleAction
        fields = ("field", "value")

    def clean(self):
        data = super().clean()
        if data.get("field"):
            for problem in engine._value_problems(data["field"], (data.get("value") or "").strip(), "is"):
                self.add_error("value", problem)
        return data


def _kept_forms(formset):
    return [
        form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class ConditionFormSet(BaseInlineFormSet):
    """Hands its conditions to the actions formset, which checks the rule as a whole."""

    def clean(self):
        super().clean()
        self.instance.pending_conditions = tuple(
            RuleCondition(**{k: form.cleaned_data[k] for k in ("field", "operator", "value")}).spec()
            for form in _kept_forms(self)
        )


class ActionFormSet(BaseInlineFormSet):
    """Refuses a rule whose actions could ever break the assignment rule."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        conditions = getattr(self.instance, "pending_conditions", None)
        if conditions is None:
            return  # the conditions have errors of their own
        rule = self.instance
        spec = engine.RuleSpec(
            id=rule.pk or 0,
            name=rule.name or "new rule",
            trigger=rule.trigger,
            match=rule.match,
            conditions=conditions,
            actions=tuple(
                RuleAction(field=form.cleaned_data["field"], value=form.cleaned_data["value"]).spec()
                for form in _kept_forms(self)
            ),
        )
        problems = engine.rule_problems(
            spec, is_allowed=rulebook.is_allowed, sample_assignees=rulebook.sample_assignees()
        )
        if problems:
            raise ValidationError(problems)


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    formset = ConditionFormSet
    extra = 0
    verbose_name_plural = "Conditions (on create, “changed” tests are true for every value set)"


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    form = RuleActionForm
    formset = ActionFormSet
    extra = 0
    verbose_name_plural = "Actions"


class DryRunForm(forms.Form):
    """A ticket and an optional change to try the rules on, without saving."""

    ticket = forms.IntegerField(label="Ticket #", min_value=1)
    mode = forms.ChoiceField(
        choices=[("update", "As an update of the stored ticket"), ("create", "As if it were created now")],
        initial="update",
    )
    status = forms.ChoiceField(choices=[("", "(unchanged)"), *Ticket.Status.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "(unchanged)"), *Ticket.Priority.choices], required=False)
    assigned_to = forms.CharField(required=False, max_length=100, label="Assignee (unchanged if empty)")


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Rules in position order; analysts see them read-only."""

    list_display = ("position", "name", "enabled", "trigger", "match", "stop_processing", "summary")
    list_display_links = ("name",)
    list_filter = ("enabled", "trigger")
    search_fields = ("name", "description")
    ordering = ("position", "id")
    fields = ("name", "position", "enabled", "trigger", "match", "stop_processing", "description")
    inlines = (RuleConditionInline, RuleActionInline)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("conditions", "actions")

    @admin.display(description="When → then")
    def summary(self, rule: Rule) -> str:
        joiner = " and " if rule.match == "all" else " or "
        when = joiner.join(str(c) for c in rule.conditions.all()) or "always"
        then = ", ".join(str(a) for a in rule.actions.all())
        return f"{when} → {then}"

    def get_urls(self):
        return [
            path(
                "<int:object_id>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="automation_rule_dry_run",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dry_run_url": reverse("admin:automation_rule_dry_run", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def dry_run_view(self, request, object_id):
        """Show which rules would fire for a ticket, and what they would change; writes nothing."""
        rule = get_object_or_404(Rule, pk=object_id)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        form = DryRunForm(request.GET or None)
        result = None
        if form.is_valid():
            result = self._dry_run(form)
            if result is None:
                form.add_error("ticket", "No ticket has that number.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "title": f"Dry run: {rule.name}",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/automation/rule/dry_run.html", context)

    @staticmethod
    def _dry_run(form: DryRunForm) -> dict | None:
        ticket = Ticket.objects.filter(pk=form.cleaned_data["ticket"]).first()
        if ticket is None:
            return None
        stored = ticket.state()
        proposed = dict(stored)
        for name in ("status", "priority", "assigned_to"):
            if form.cleaned_data[name]:
                proposed[name] = form.cleaned_data[name].strip()
        before = None if form.cleaned_data["mode"] == "create" else stored
        rules = rulebook.load_rules()
        outcome = engine.evaluate(before, proposed, rules, is_allowed=rulebook.is_allowed)
        fired = {firing.rule.id: firing for firing in outcome.firings}
        blocked = {firing.rule.id: firing for firing in outcome.blocked}
        rows = [
            {
                "rule": rule,
                "fired": rule.id in fired,
                "blocked": rule.id in blocked,
                "changes": (fired.get(rule.id) or blocked.get(rule.id) or engine.Firing(rule, {})).changes,
            }
            for rule in rules
        ]
        return {
            "ticket": ticket,
            "proposed": proposed,
            "final": outcome.state,
            "rows": rows,
            "breaks_rule": not rulebook.is_allowed(proposed),
        }


@admin.register(AutomationLog)
class AutomationLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every rule firing, read-only."""

    list_display = ("id", "created_at", "rule_name", "ticket_id", "changes", "save_id")
    list_filter = ("rule_name", "created_at")
    search_fields = ("=ticket_id", "rule_name")
    ordering = ("-id",)
    show_full_result_count = False
    list_per_page = 100
