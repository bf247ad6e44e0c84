"""Django admin for automation rules (with a dry run and a backtest) and the automation log.

Integrations and webhook deliveries have their admins in `webhook_admin.py`.
"""

import copy

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.formsets import all_valid
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from automation import backtest, engine, rulebook, validation, webhook_admin  # noqa: F401 - registers its admins
from automation.models import AutomationLog, Rule, RuleAction, RuleCondition
from automation.services import rule_json, rules_for_json
from tickets import roles
from tickets.admin_mixins import ReadOnlyAdminMixin
from tickets.models import Ticket


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ("field", "operator", "value")

    def clean(self):
        data = super().clean()
        data["value"] = (data.get("value") or "").strip()
        return data


class RuleActionForm(forms.ModelForm):
    class Meta:
        model = RuleAction
        fields = ("kind", "field", "value", "channel")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == RuleAction.Kind.NOTIFY and not data.get("channel"):
            self.add_error("channel", "Choose the channel to notify.")
        if kind == RuleAction.Kind.SET and data.get("channel"):
            self.add_error("channel", "A set action names no channel.")
        if kind == RuleAction.Kind.SET and not data.get("field"):
            self.add_error("field", "Choose the field to set.")
        if kind == RuleAction.Kind.NOTIFY:
            data["field"], data["value"] = "", ""
        return data


def _kept_forms(formset):
    return [
        form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class ConditionFormSet(BaseInlineFormSet):
    """Hands its conditions to the actions formset, which checks the rule as a whole."""

    def clean(self):
        super().clean()
        self.instance.pending_conditions = [
            {key: form.cleaned_data[key] for key in ("field", "operator", "value")}
            for form in _kept_forms(self)
        ]


class ActionFormSet(BaseInlineFormSet):
    """Checks the whole rule with the validator the API uses (`automation.validation`)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        conditions = getattr(self.instance, "pending_conditions", None)
        if conditions is None:
            return  # the conditions have errors of their own
        rule = self.instance
        actions = rule.pending_actions = []
        for form in _kept_forms(self):
            data = form.cleaned_data
            if data["kind"] == RuleAction.Kind.NOTIFY:
                actions.append({"type": "notify", "channel": data["channel"].name})
            else:
                actions.append({"type": "set", "field": data["field"], "value": data["value"]})
        document = {"name": rule.name, "trigger": rule.trigger, "match": rule.match,
                    "conditions": conditions, "actions": actions}  # fmt: skip
        channels = {action["channel"]: True for action in actions if action["type"] == "notify"}
        errors = validation.rule_errors(document, channels=channels)
        if errors:
            raise ValidationError([message for messages in errors.values() for message in messages])


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


class BacktestForm(forms.Form):
    """How many days of created tickets to replay a rule over."""

    days = forms.IntegerField(min_value=1, max_value=backtest.MAX_DAYS, initial=30, label="Days")


# Who may backtest a rule in the admin (as over the API).
BACKTEST_ROLES = (roles.ADMIN, roles.ANALYST)


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
            path(
                "<int:object_id>/backtest/",
                self.admin_site.admin_view(self.backtest_view),
                name="automation_rule_backtest",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dry_run_url": reverse("admin:automation_rule_dry_run", args=[object_id]),
            "backtest_url": reverse("admin:automation_rule_backtest", args=[object_id])
            if roles.role_of(request.user) in BACKTEST_ROLES
            else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The add and change forms; their Backtest button replays the values on the form, unsaved."""
        if request.method == "POST" and "_backtest" in request.POST:
            return self.backtest_unsaved_view(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "backtest_form": BacktestForm(prefix="backtest")
            if roles.role_of(request.user) in BACKTEST_ROLES
            else None,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def backtest_view(self, request, object_id):
        """What the saved rule would have done to the tickets created in the last N days; writes nothing."""
        rule = get_object_or_404(rules_for_json(), pk=object_id)
        if not self.has_view_permission(request, rule) or roles.role_of(request.user) not in BACKTEST_ROLES:
            raise PermissionDenied
        form = BacktestForm(request.GET or None)  # replayed when asked: a long window takes seconds
        result, problems = None, []
        if form.is_valid():
            result, problems = self._backtest(rule_json(rule, with_id=False), form.cleaned_data["days"])
        return self._backtest_page(request, rule=rule, form=form, result=result, problems=problems)

    def backtest_unsaved_view(self, request, object_id):
        """The add and change forms' Backtest button: the rule as the form has it, checked, never saved."""
        rule = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and rule is None:
            raise Http404("No rule has this id.")
        allowed = self.has_change_permission(request, rule) if rule else self.has_add_permission(request)
        if not allowed or roles.role_of(request.user) not in BACKTEST_ROLES:
            raise PermissionDenied
        form_class = self.get_form(request, rule, change=rule is not None)
        form = form_class(request.POST, instance=copy.copy(rule))  # the form fills its instance in
        form_valid = form.is_valid()
        candidate = form.instance  # filled in from the form, not saved
        formsets, _ = self._create_formsets(request, candidate, change=rule is not None)
        days_form = BacktestForm(request.POST, prefix="backtest")
        problems = [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]
        if form_valid and all_valid(formsets) and days_form.is_valid():
            document = {
                "name": candidate.name, "trigger": candidate.trigger, "match": candidate.match,
                "stop_processing": candidate.stop_processing, "conditions": candidate.pending_conditions,
                "actions": candidate.pending_actions,
            }  # fmt: skip
            result, problems = self._backtest(document, days_form.cleaned_data["days"])
        else:
            result = None
            for formset in formsets:
                problems += [str(message) for message in formset.non_form_errors()]
                problems += [
                    f"{name}: {message}"
                    for errors in formset.errors
                    for name, messages in errors.items()
                    for message in messages
                ]
            problems += [f"days: {m}" for messages in days_form.errors.values() for m in messages]
        return self._backtest_page(
            request, rule=rule, form=days_form, result=result, problems=problems, unsaved=True
        )

    @staticmethod
    def _backtest(document: dict, days: int) -> tuple[dict | None, list[str]]:
        try:
            return backtest.backtest_rule(backtest.spec_from_json(document), days=days), []
        except backtest.NotBacktestable as refused:
            return None, [str(refused)]

    def _backtest_page(self, request, *, rule, form, result, problems, unsaved=False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "title": f"Backtest: {rule.name}" if rule and not unsaved else "Backtest of the rule as edited",
            "form": form,
            "result": result,
            "problems": problems,
            "unsaved": unsaved,
        }
        return TemplateResponse(request, "admin/automation/rule/backtest.html", context)

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
