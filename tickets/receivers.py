"""Receivers of the tickets app: the audit trail of every save and delete."""

from tickets import events


def audit_ticket_save(sender, instance, created, raw, using, **kwargs):
    """Write the audit events of a ticket save (fixture loading is not a change)."""
    if raw or getattr(instance, "current_write", None) is None:
        return
    events.record_save(instance, using=using)


def audit_ticket_delete(sender, instance, using, **kwargs):
    """Record a deletion in the trail, which outlives the ticket."""
    events.record_deletion(instance, using=using)
