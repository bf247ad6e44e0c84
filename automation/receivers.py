"""Receivers of the automation app: the rules on every ticket write, and their log."""

from automation import rulebook
from automation.logbook import write_logs
from automation.outbox import queue_rule_notifications


def apply_rules(sender, writes, **kwargs):
    """before_write: let the rules route each created or changed ticket before its row is written."""
    rules, channels = rulebook.current_rules_and_channels()
    for write in writes:
        if not write.deleting:
            rulebook.apply_rules(write, rules, channels=channels)


def log_firings(sender, writes, using, **kwargs):
    """after_write: one automation log row per rule firing, in the write's transaction."""
    write_logs(writes, using=using)


def queue_notifications(sender, writes, using, **kwargs):
    """after_write: one delivery (and its queue row) per notify action of each rule that fired."""
    queue_rule_notifications(writes, using=using)


def forget_rules_on_change(sender, **kwargs):
    """A rule, condition, action or channel changed: every process reads the rules again."""
    rulebook.forget_rules()
