"""Two writers at once: SQLite (WAL, busy timeout, IMMEDIATE) and PostgreSQL both cope."""

import threading

import pytest
from django.db import connection, connections

from tickets.models import Ticket, TicketEvent
from tickets.tests.threads import run_at_once


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


@pytest.mark.django_db(transaction=True)
def test_two_clients_editing_the_same_version_one_wins_and_the_other_gets_412(
    api_client, admin_user, monkeypatch
):
    """Both have read version 1 and both pass the view's checks; the locked row decides."""
    from tickets import services

    ticket = Ticket.objects.create(title="Contested", priority="medium")
    etag = api_client(admin_user).get(f"/api/tickets/{ticket.pk}")["ETag"]
    both_validated = threading.Barrier(2)
    update = services.ticket_update

    def update_once_both_are_here(*args, **kwargs):
        both_validated.wait(timeout=10)
        return update(*args, **kwargs)

    monkeypatch.setattr(services, "ticket_update", update_once_both_are_here)

    def edit(title):
        return lambda: api_client(admin_user).patch(
            f"/api/tickets/{ticket.pk}", {"title": title}, format="json", headers={"If-Match": etag}
        )

    answers = run_at_once([edit("Mine"), edit("Theirs")])
    assert sorted(answer.status_code for answer in answers) == [200, 412], answers
    winner = next(answer for answer in answers if answer.status_code == 200).json()["title"]
    ticket.refresh_from_db()
    assert (ticket.title, ticket.version) == (winner, 2)
    changes = TicketEvent.objects.filter(ticket_id=ticket.pk, kind="updated")
    assert [event.changes for event in changes] == [{"title": ["Contested", winner]}]
