"""The rules' notify actions, turned into deliveries in the ticket write's transaction."""

from automation import rulebook
from notifications.services import Notice, queue_notifications, ticket_json


def queue_rule_notifications(writes, *, using: str) -> int:
    """Queue one delivery per notify action of every rule that fired on `writes`; how many were queued.

    A channel switched off (or deleted) since the rules were read gets nothing.
    """
    notices = []
    for write in writes:
        event, firings = rulebook.fired(write)
        notifying = [firing for firing in firings if firing.rule.notify]
        if not notifying:
            continue
        channels = rulebook.channels_of(write)
        ticket = ticket_json(write.ticket)
        notices.extend(
            Notice(
                event=event,
                channel_id=channels[name],
                channel_name=name,
                ticket=ticket,
                rule=firing.rule.name,
            )
            for firing in notifying
            for name in firing.rule.notify
            if name in channels
        )
    queue_notifications(notices, using=using)
    return len(notices)
