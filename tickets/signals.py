"""The two signals of the ticket write pipeline: how other apps take part in every ticket write.

Both are sent by `tickets.pipeline.write_tickets`, once per batch, whether
the batch holds one ticket (a save) or thousands (the seeder). Receivers get
`writes` (a list of `TicketWrite`) and `using` (the database alias):

- `before_write`: before any row is written. A receiver may change the
  tickets (`write.ticket`) and add audit entries (`write.entries`); it must
  not write rows.
- `after_write`: after the ticket rows and their audit events are written,
  in the same transaction. A receiver records rows of its own (the
  automation log, the dashboard summary); it must not change the tickets.

Receivers connect in their AppConfig's `ready()` with a `dispatch_uid`. They
run in the order below where one depends on another's changes; all others
run after those and must not depend on each other's order.
"""

from django.dispatch import Signal

# dispatch_uids of before_write receivers that depend on each other, in the order they run:
# the rules route the ticket first, then SLA targets are taken from the routed ticket.
BEFORE_WRITE_ORDER = ("automation.apply_rules", "sla.apply_targets")


class OrderedSignal(Signal):
    """A signal whose receivers run in a declared order of dispatch_uids, then the others.

    Every receiver must name a dispatch_uid, so that connecting twice (a
    reloaded module, a test) never runs it twice.
    """

    def __init__(self, order: tuple[str, ...] = ()):
        super().__init__()
        self.order = {uid: position for position, uid in enumerate(order)}

    def connect(self, receiver, sender=None, weak=True, dispatch_uid=None):
        if dispatch_uid is None:
            raise TypeError("Receivers of the ticket write signals need a dispatch_uid.")
        super().connect(receiver, sender=sender, weak=weak, dispatch_uid=dispatch_uid)
        with self.lock:
            # Entries are ((dispatch_uid, sender key), receiver, is_async); the sort is stable.
            self.receivers.sort(key=lambda entry: self.order.get(entry[0][0], len(self.order)))
            self.sender_receivers_cache.clear()


# kwargs: writes (list of TicketWrite), using.
before_write = OrderedSignal(BEFORE_WRITE_ORDER)

# kwargs: writes (the TicketWrites whose rows were written), using.
after_write = OrderedSignal()
