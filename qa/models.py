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
    violations = models.PositiveIntegerField(default=0, help_text="Violations found by all checks together.")
    log_file = models.CharField(max_length=500, blank=True, default="")
    triggered_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        db_table = "qa_regression_runs"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"], name="qa_runs_started_idx")]
        permissions = [("run_regression", "Can start a regression run")]

    def __str__(self) -> str:
        return f"Run {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"

    @property
    def duration_ms(self) -> float | None:
        """Wall time of the whole run, in milliseconds (None while it runs)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000


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
    duration_ms = models.FloatField("duration (ms)", default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "qa_check_results"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome}"
