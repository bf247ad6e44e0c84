from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Alert sources: Alertmanager, GitHub and PagerDuty post their own formats; tickets kept in step."""

    name = "intake"
    verbose_name = "Alert sources"
