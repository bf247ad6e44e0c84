"""The summary table's upkeep: upserts, recounts, and staying equal to a recount whatever happens."""

import contextlib
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import stats
from dashboard.models import TicketCount
from dashboard.tests.factories import at, recounted, summary, ticket_at
from tickets.bulk import bulk_create_tickets, bulk_update_tickets
from tickets.models import Ticket

MARCH_1 = datetime.date(2026, 3, 1)
BUCKET = stats.Bucket(MARCH_1, "open", "medium", "")


@pytest.mark.django_db
def test_deltas_add_to_stored_counts_and_create_missing_buckets():
    stats.add_to_counts({BUCKET: 2}, using="default")
    stats.add_to_counts({BUCKET: 3, BUCKET._replace(status="closed"): 1}, using="default")
    stats.add_to_counts({BUCKET: -1}, using="default")
    assert summary() == {tuple(BUCKET): 4, tuple(BUCKET._replace(status="closed")): 1}


@pytest.mark.django_db
def test_large_batches_are_split_into_several_statements():
    deltas = {BUCKET._replace(assigned_to=f"Agent {n}"): 1 for n in range(stats.UPSERT_CHUNK * 2 + 7)}
    stats.add_to_counts(deltas, using="default")
    assert TicketCount.objects.count() == len(deltas)


@pytest.mark.django_db
def test_moves_that_stay_in_their_bucket_change_no_count():
    stats.record_moves([(BUCKET, BUCKET), (None, BUCKET), (BUCKET, None)], using="default")
    assert summary() == {}


@pytest.mark.django_db
def test_rebuild_replaces_a_wrong_summary_with_the_recount():
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-02"), priority="high")
    TicketCount.objects.update(count=42)
    TicketCount.objects.create(day=MARCH_1, status="closed", priority="low", assigned_to="Ghost", count=3)
    assert stats.disagreements()
    buckets = stats.rebuild()
    assert buckets == 2
    assert summary() == recounted()
    assert stats.disagreements() == []


@pytest.mark.django_db
def test_disagreements_name_the_bucket_and_both_counts():
    ticket_at(at("2026-03-01"))
    TicketCount.objects.update(count=5)
    (row,) = stats.disagreements()
    assert str(row["day"]) == "2026-03-01"
    assert (row["status"], row["priority"], row["assigned_to"]) == ("open", "medium", "")
    assert (int(row["stored"]), int(row["actual"])) == (5, 1)


@pytest.mark.django_db
def test_empty_buckets_left_behind_are_not_disagreements():
    ticket = ticket_at(at("2026-03-01"))
    ticket.delete()
    assert TicketCount.objects.get().count == 0
    assert stats.disagreements() == []


# --- Random sequences of writes through every path ---------------------------------------

STATUSES = ["open", "in_progress", "closed"]
PRIORITIES = ["low", "medium", "high"]
ASSIGNEES = ["", "Dana", "Network team", "SupportBot"]
fields = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(STATUSES),
        "priority": st.sampled_from(PRIORITIES),
        "assigned_to": st.sampled_from(ASSIGNEES),
        "title": st.sampled_from(["Renamed", "VPN down"]),
    },
)
new_ticket = st.tuples(st.integers(0, 4), st.integers(0, 23), fields)
operation = st.one_of(
    st.tuples(st.just("create"), new_ticket),
    st.tuples(st.just("update"), st.integers(0, 50), fields),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("delete_many"), st.lists(st.integers(0, 50), max_size=3)),
    st.tuples(st.just("bulk_create"), st.lists(st.tuples(new_ticket, fields), min_size=1, max_size=4)),
    st.tuples(
        st.just("bulk_update"), st.lists(st.tuples(st.integers(0, 50), fields), min_size=1, max_size=4)
    ),
)


def created(day: int, hour: int) -> datetime.datetime:
    return at("2026-03-01", hour, 59) + datetime.timedelta(days=day)


def apply_operation(op, kept: list[Ticket]) -> None:
    """Run one random write. `kept` holds the objects as first made: they go stale on purpose."""
    kind, *args = op
    pick = lambda n: kept[n % len(kept)] if kept else None  # noqa: E731
    if kind == "create":
        (day, hour, values), *_ = args
        kept.append(Ticket.objects.create(**{"title": "New", **values}, created_at=created(day, hour)))
    elif kind == "update" and kept:
        ticket = Ticket.objects.filter(pk=pick(args[0]).pk).first()
        if ticket is not None:
            for name, value in args[1].items():
                setattr(ticket, name, value)
            ticket.save()
    elif kind == "delete" and kept and pick(args[0]).pk is not None:
        with contextlib.suppress(Ticket.DoesNotExist):  # a stale copy of a ticket deleted before
            pick(args[0]).delete()
    elif kind == "delete_many" and kept:
        Ticket.objects.filter(pk__in=[pick(n).pk for n in args[0]]).delete()
    elif kind == "bulk_create":
        tickets = []
        for (day, hour, values), later in args[0]:
            ticket = Ticket(**{"title": "Bulk", **values}, created_at=created(day, hour))
            ticket.history = [(created(day, hour) + datetime.timedelta(hours=1), later)] if later else []
            tickets.append(ticket)
        kept.extend(bulk_create_tickets(tickets))
    elif kind == "bulk_update" and kept:
        stored = {t.pk: t for t in Ticket.objects.filter(pk__in=[pick(n).pk for n, _ in args[0]])}
        changes = {
            pick(n).pk: (stored[pick(n).pk], values, timezone.now())
            for n, values in args[0]
            if pick(n).pk in stored
        }
        bulk_update_tickets(changes.values())


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=10), zone=st.sampled_from(["UTC", "Asia/Tokyo"]))
def test_random_writes_leave_the_summary_equal_to_a_recount(operations, zone, django_settings_for_zone):
    django_settings_for_zone(zone)
    with transaction.atomic():
        kept: list[Ticket] = []
        for op in operations:
            try:
                with transaction.atomic():
                    apply_operation(op, kept)
            except ValidationError:
                pass  # a refused write (the business rule): it must leave no trace either
        assert stats.disagreements() == []
        assert stats.total_disagreements() == []
        assert summary() == recounted()
        transaction.set_rollback(True)


@pytest.fixture
def django_settings_for_zone(settings):
    def use(zone: str) -> None:
        settings.TIME_ZONE = zone
        timezone.deactivate()

    return use


# --- Concurrent writers --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_summary_exact():
    shared = [ticket_at(at("2026-03-01"), title=f"Shared {n}") for n in range(4)]
    errors = []
    start = threading.Barrier(3)

    def writer(name: str) -> None:
        try:
            start.wait()
            for n in range(12):
                mine = Ticket.objects.create(title=f"{name} {n}", created_at=at("2026-03-01", n))
                mine.assigned_to = "Dana"
                mine.status = "in_progress"
                mine.save()
                ticket = Ticket.objects.filter(pk=shared[n % 4].pk).first()  # the deleter may be first
                if ticket is not None:
                    ticket.status = STATUSES[(n + len(name)) % 3]
                    with contextlib.suppress(Ticket.DoesNotExist):  # ... or come in between
                        ticket.save()
                if n % 3 == 0:
                    mine.delete()
            bulk_create_tickets([Ticket(title=f"{name} bulk", created_at=at("2026-03-01")) for _ in range(5)])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def deleter() -> None:
        try:
            start.wait()
            for ticket in shared[2:]:
                Ticket.objects.get(pk=ticket.pk).delete()
        except Ticket.DoesNotExist:
            pass
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    threads.append(threading.Thread(target=deleter))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stats.disagreements() == []
    assert sum(summary().values()) == Ticket.objects.count()


@pytest.mark.django_db(transaction=True)
def test_two_deletes_of_one_ticket_at_once_subtract_it_once():
    ticket_at(at("2026-03-01"))
    target = ticket_at(at("2026-03-01"))
    copies = [Ticket.objects.get(pk=target.pk) for _ in range(2)]
    errors = []
    start = threading.Barrier(2)

    def delete(copy: Ticket) -> None:
        try:
            start.wait()
            copy.delete()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=delete, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One wins; the other finds the ticket gone (and writes nothing).
    assert [type(error) for error in errors] == [Ticket.DoesNotExist]
    assert summary() == {(MARCH_1, "open", "medium", ""): 1}
