"""Writing the automation log: one row per rule firing, in the ticket write's transaction."""

from automation.models import AutomationLog
from automation.rulebook import fired
from tickets.audit import canonical_json
from tickets.rows import DbValues, insert_rows

COLUMNS = ("rule_id", "rule_name", "ticket_id", "save_id", "changes", "created_at")


def write_logs(writes, *, using: str) -> int:
    """Insert a log row for every rule firing noted on the writes (one that only notifies too)."""
    db = DbValues(using)
    rows = [
        (firing.rule.id, firing.rule.name, write.ticket.pk, db.uuid(write.save_id),
         canonical_json(firing.changes), db.datetime(write.when))
        for write in writes
        for firing in fired(write)[1]
    ]  # fmt: skip
    insert_rows(AutomationLog, COLUMNS, rows, using=using)
    return len(rows)
