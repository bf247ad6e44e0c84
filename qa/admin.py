"""Regression runs in Django admin: read-only history, filterable by outcome, and "run now"."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join

from qa.models import CheckResult, RegressionRun
from qa.registry import CHECKS
from qa.reports import LogDirectoryError
from qa.runner import run_regression
from tickets.admin_mixins import ReadOnlyAdminMixin

RUN_PERMISSION = "qa.run_regression"
MESSAGE_LEVELS = {"passed": messages.SUCCESS, "failed": messages.WARNING, "error": messages.ERROR}


class StartRunForm(forms.Form):
    """Which checks to run (all by default)."""

    checks = forms.MultipleChoiceField(
        choices=lambda: [(name, f"{name}: {check.description}") for name, check in CHECKS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one check."},
    )


class CheckResultInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Each check of the run: outcome, count, time, and the reason per offending ticket."""

    model = CheckResult
    fields = ("name", "outcome", "violations", "duration_ms", "reasons", "error")
    readonly_fields = fields
    extra = 0

    @admin.display(description="Offending tickets (first 100)")
    def reasons(self, result: CheckResult) -> str:
        return format_html_join(
            "\n",
            "<div>{}: {}</div>",
            (
                (f"#{item['id']}" if item["id"] is not None else "—", item["reason"])
                for item in result.details
            ),
        )


@admin.register(RegressionRun)
class RegressionRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every stored run, newest first; admins and analysts may start one."""

    list_display = ("started_at", "outcome", "violations", "duration", "check_outcomes", "triggered_by")
    list_filter = ("outcome", "triggered_by")
    date_hierarchy = "started_at"
    fields = (
        "run_id", "started_at", "finished_at", "duration", "outcome", "passed",
        "violations", "triggered_by", "log_file",
    )  # fmt: skip
    readonly_fields = fields
    inlines = (CheckResultInline,)
    list_per_page = 50

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).prefetch_related("checks")

    @admin.display(description="Duration")
    def duration(self, run: RegressionRun) -> str:
        return "—" if run.duration_ms is None else f"{run.duration_ms:,.0f} ms"

    @admin.display(description="Checks")
    def check_outcomes(self, run: RegressionRun) -> str:
        return ", ".join(
            f"{result.name} {result.outcome}" + (f" ({result.violations:,})" if result.violations else "")
            for result in run.checks.all()
        )

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="qa_regressionrun_start"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_start_run": request.user.has_perm(RUN_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def start_view(self, request):
        """Choose the checks (GET); run them, store the run and write its log (POST)."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        posted = request.method == "POST"
        form = StartRunForm(request.POST if posted else None, initial={"checks": list(CHECKS)})
        if posted and form.is_valid():
            return self._start(request, form.cleaned_data["checks"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Run the regression suite",
            "form": form,
        }
        return TemplateResponse(request, "admin/qa/regressionrun/start_run.html", context)

    def _start(self, request, names: list[str]) -> HttpResponseRedirect:
        try:
            report = run_regression(names, triggered_by=request.user.get_username())
        except LogDirectoryError as error:
            self.message_user(request, f"Could not run: {error}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:qa_regressionrun_changelist"))
        self.message_user(request, report.verdict(), MESSAGE_LEVELS[report.outcome])
        return HttpResponseRedirect(reverse("admin:qa_regressionrun_change", args=[report.run.pk]))
