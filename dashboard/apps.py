from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The live operations dashboard and the summary table that keeps it fast."""

    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self):
        # probes registers itself with qa, counting with the tickets filter (the API's list totals),
        # volume with insight (the daily counts of the anomaly band).
        from dashboard import counting, probes, receivers, volume  # noqa: F401
        from tickets.signals import after_write

        after_write.connect(receivers.count_moves, dispatch_uid="dashboard.count_moves")
