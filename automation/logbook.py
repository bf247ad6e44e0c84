"""Writing the automation log: one row per rule firing, in the ticket write's transaction."""

from automation.models import AutomationLog
from automation.rulebook import rule_entries
from tickets.audit import canonical_json
from tickets.rows import DbValues, insert_rows

COLUMNS = ("rule_id", "rule_name", "ticket_id", "save_id", "changes", "created_at")


def write_logs(writes, *, using: str) -> int:
    """Insert a log row for every rule firing recorded on the writes."""
    db = DbValues(using)
    rows = [
        (entry.actor.id, entry.actor.name, write.ticket.pk, db.uuid(write.save_id),
         canonical_json(entry.changes), db.datetime(write.when))
        for write in writes
        for entry in rule_entries(write)
    ]  # fmt: skip
    insert_rows(AutomationLog, COLUMNS, rows, using=using)
    return len(rows)
