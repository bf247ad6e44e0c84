from django.apps import AppConfig


class InsightConfig(AppConfig):
    """Volume anomalies, resolution-time predictions, and the backtests that show how far to trust them."""

    name = "insight"
    verbose_name = "Insight"

    def ready(self):
        from insight import jobs
        from insight.predictions import PREDICTED_RESOLUTION_SCHEMA, predicted_resolution
        from tickets.extensions import add_ticket_field

        add_ticket_field("predicted_resolution", predicted_resolution, schema=PREDICTED_RESOLUTION_SCHEMA)
        jobs.register()  # the hourly anomaly scan, the daily training
