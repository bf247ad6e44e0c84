from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AutomationConfig(AppConfig):
    """Automation rules applied on every ticket write, their log, and the webhook intake."""

    name = "automation"
    verbose_name = "Automation"
    role_permissions = {
        "analyst": ["view_rule", "view_rulecondition", "view_ruleaction", "view_automationlog"],
    }

    def ready(self):
        from automation import receivers
        from automation.models import Rule, RuleAction, RuleCondition
        from notifications.models import Channel
        from tickets.signals import after_write, before_write

        before_write.connect(receivers.apply_rules, dispatch_uid="automation.apply_rules")
        after_write.connect(receivers.log_firings, dispatch_uid="automation.log_firings")
        after_write.connect(receivers.queue_notifications, dispatch_uid="automation.queue_notifications")
        for model in (Rule, RuleCondition, RuleAction, Channel):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.forget_rules_on_change,
                    sender=model,
                    dispatch_uid=f"automation.forget_rules.{model.__name__}.{signal is post_save}",
                )
