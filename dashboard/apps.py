from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The live operations dashboard."""

    name = "dashboard"
    verbose_name = "Dashboard"
