"""What insight keeps: the resolution-time model in force, and the anomalous days already alerted."""

from django.db import models
from django.utils import timezone


class ResolutionModel(models.Model):
    """A trained resolution-time predictor, stored as data (JSON numbers and names, never pickle).

    Training appends a row; the newest row is the one every process serves
    (each checks for a newer one at most every `insight.predictions.RELOAD_SECONDS`).
    """

    class Kind(models.TextChoices):
        BASELINE = "baseline", "Quantiles per priority"
        LOG_LINEAR = "log_linear", "Log-linear model with a calibrated p90"

    kind = models.CharField(max_length=10, choices=Kind)
    trained_at = models.DateTimeField(default=timezone.now)
    parameters = models.JSONField(help_text="What predicting needs: quantiles, or weights and offsets.")
    evaluation = models.JSONField(
        default=dict, help_text="The hold-out figures that chose it: pinball losses and p90 coverage."
    )

    class Meta:
        db_table = "insight_resolution_models"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} trained {self.trained_at:%Y-%m-%d %H:%M}"


class AnomalyAlert(models.Model):
    """An anomalous day the scan has found and alerted on: one row per day, so a day alerts once."""

    day = models.DateField(unique=True)
    row = models.JSONField(help_text="The day's anomaly row when it was found.")
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "insight_anomaly_alerts"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.row.get('count')} tickets, expected {self.row.get('expected')}"
