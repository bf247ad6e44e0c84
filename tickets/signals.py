"""Signals of the tickets app around its bulk write path.

`bulk_create_tickets` cannot rely on `pre_save`/`post_save` (one insert makes
thousands of rows), so it sends these instead. Other apps attach to them
exactly as they attach to single saves: the rules change tickets in
`tickets_pre_bulk_create`, and the automation log and the dashboard summary
are written in `tickets_post_bulk_create`, in the same transaction.
"""

from django.dispatch import Signal

# kwargs: tickets (new Ticket objects, each with `current_write`, no ids yet), using.
tickets_pre_bulk_create = Signal()

# kwargs: tickets (the same objects, now with ids), using.
tickets_post_bulk_create = Signal()

# kwargs: tickets (stored Ticket objects with their new values and `current_write`), using.
tickets_pre_bulk_update = Signal()

# kwargs: tickets (those whose values changed, now written), using.
tickets_post_bulk_update = Signal()
