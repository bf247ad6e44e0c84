from django.apps import AppConfig


class QaConfig(AppConfig):
    """The regression suite that checks live data against the business rules."""

    name = "qa"
    verbose_name = "Regression suite"
