from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


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
        from tickets import signals
        from tickets.models import Ticket

        pre_save.connect(
            receivers.apply_rules_before_save, sender=Ticket, dispatch_uid="automation.apply_rules"
        )
        post_save.connect(
            receivers.log_firings_after_save, sender=Ticket, dispatch_uid="automation.log_firings"
        )
        signals.tickets_pre_bulk_create.connect(
            receivers.apply_rules_before_bulk, dispatch_uid="automation.apply_rules_bulk_create"
        )
        signals.tickets_pre_bulk_update.connect(
            receivers.apply_rules_before_bulk, dispatch_uid="automation.apply_rules_bulk_update"
        )
        signals.tickets_post_bulk_create.connect(
            receivers.log_firings_after_bulk, dispatch_uid="automation.log_firings_bulk_create"
        )
        signals.tickets_post_bulk_update.connect(
            receivers.log_firings_after_bulk, dispatch_uid="automation.log_firings_bulk_update"
        )
        for model in (Rule, RuleCondition, RuleAction):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.forget_rules_on_change,
                    sender=model,
                    dispatch_uid=f"automation.forget_rules.{model.__name__}.{signal is post_save}",
                )
