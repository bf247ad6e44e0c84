from importlib import import_module

from django.apps import AppConfig


class QaConfig(AppConfig):
    """The regression suite that checks live data against the business rules."""

    name = "qa"
    verbose_name = "Regression suite"
    # Analysts read the runs and may start one from admin; support has no admin.
    role_permissions = {
        "analyst": ["view_regressionrun", "view_checkresult", "run_regression"],
    }

    def ready(self):
        # Registers the checks (qa.registry.CHECKS) in the order they run:
        # the four business-rule checks, then the audit trail's integrity.
        for module in ("qa.checks", "qa.audit_chain"):
            import_module(module)
