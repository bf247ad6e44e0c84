"""Receivers of the automation app: rules on every ticket write, and their log.

Single saves come through Django's `pre_save`/`post_save`; the tickets app's
bulk path sends its own pair of signals, handled here the same way.
"""

from automation import rulebook
from automation.logbook import write_logs


def apply_rules_before_save(sender, instance, raw, **kwargs):
    """Let the rules change the ticket before its single write."""
    if raw or getattr(instance, "current_write", None) is None:
        return
    rulebook.apply_rules(instance, instance.current_write)


def log_firings_after_save(sender, instance, raw, using, **kwargs):
    """Write the automation log rows of the save (same transaction)."""
    if raw or getattr(instance, "current_write", None) is None:
        return
    write_logs([instance], using=using)


def apply_rules_before_bulk(sender, tickets, **kwargs):
    """The bulk path: the same engine, the same rules, for each new ticket."""
    rules = rulebook.current_rules()
    for ticket in tickets:
        rulebook.apply_rules(ticket, ticket.current_write, rules)


def log_firings_after_bulk(sender, tickets, using, **kwargs):
    write_logs(tickets, using=using)


def forget_rules_on_change(sender, **kwargs):
    """A rule, condition or action changed: every process reads the rules again."""
    rulebook.forget_rules()
