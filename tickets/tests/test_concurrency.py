"""Two writers at once: SQLite (WAL, busy timeout, IMMEDIATE) and PostgreSQL both cope."""

import threading

import pytest
from django.db import connection, connections

from tickets.models import Ticket, TicketEvent


@pytest.mark.django_db(transaction=True)
def test_two_threads_writing_at_once_never_see_database_is_locked():
    errors = []
    start = threading.Barrier(2)

    def writer(name):
        try:
            start.wait()
            for n in range(25):
                ticket = Ticket.objects.create(title=f"{name} {n}", priority="medium")
                ticket.description = "edited"
                ticket.save()
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Ticket.objects.count() == 50
    assert TicketEvent.objects.count() == 100


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
