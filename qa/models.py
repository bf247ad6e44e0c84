"""Stored regression runs, for the admin and the dashboard's regression panel."""

import uuid

from django.db import models


class RegressionRun(models.Model):
    """One run of the regression suite against the live database."""

    class Outcome(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ERROR = "error", "Error"

    run_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    outcome = models.CharField(max_length=6, choices=Outcome, default=Outcome.ERROR)
    log_file = models.CharField(max_length=500, blank=True, default="")
    triggered_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        db_table = "qa_regression_runs"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"], name="qa_runs_started_idx")]

    def __str__(self) -> str:
        return f"Run {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"


class CheckResult(models.Model):
    """The result of one check in a run."""

    run = models.ForeignKey(RegressionRun, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True, default="")
    passed = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=6, choices=RegressionRun.Outcome, default=RegressionRun.Outcome.ERROR
    )
    violations = models.PositiveIntegerField(default=0)
    ids = models.JSONField(default=list, help_text="Up to 100 offending ticket ids.")
    details = models.JSONField(default=list, help_text="The reason for each offending id.")
    duration_ms = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "qa_check_results"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome}"
