"""The summary table's upkeep: appended moves, folds, recounts, and staying equal to a recount."""

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
from dashboard.tests.factories import at, disagreements, recounted, summary, ticket_at
from tickets.fields import PRIORITIES, STATUSES
from tickets.models import Ticket
from tickets.tests.factories import create_tickets, update_tickets

MARCH_1 = datetime.date(2026, 3, 1)
BUCKET = stats.Bucket(MARCH_1, "open", "medium", "")


@pytest.mark.django_db
def test_moves_are_summed_per_bucket_and_appended_as_one_row_each():
    closed = BUCKET._replace(status="closed")
    stats.record_moves([(None, BUCKET), (None, BUCKET), (BUCKET, closed)], using="default")
    stats.record_moves([(None, BUCKET)], using="default")
    rows = sorted(TicketCount.objects.values_list("status", "count"))
    assert rows == [("closed", 1), ("open", 1), ("open", 1)]
    assert summary() == {tuple(BUCKET): 2, tuple(closed): 1}


@pytest.mark.django_db
def test_moves_that_stay_in_their_bucket_append_nothing():
    stats.record_moves([(BUCKET, BUCKET), (None, BUCKET), (BUCKET, None)], using="default")
    assert TicketCount.objects.count() == 0


@pytest.mark.django_db
def test_a_fold_merges_each_bucket_into_one_row_and_drops_empty_ones():
    closed = BUCKET._replace(status="closed")
    for moves in ([(None, BUCKET)], [(None, BUCKET)], [(BUCKET, closed)], [(None, closed)], [(closed, None)]):
        stats.record_moves(moves, using="default")
    empty = BUCKET._replace(priority="low")
    stats.record_moves([(None, empty)], using="default")
    stats.record_moves([(empty, None)], using="default")
    before = summary()
    assert stats.fold() == 6  # 8 rows in, 2 out
    assert summary() == before == {tuple(BUCKET): 1, tuple(closed): 1}
    assert TicketCount.objects.count() == 2
    assert stats.fold() == 0


@pytest.mark.django_db
def test_every_few_hundred_appended_rows_a_fold_follows_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(stats.FOLD_EVERY + 1):
            stats.record_moves([(None, BUCKET._replace(assigned_to=f"Agent {n % 3}"))], using="default")
    assert len(callbacks) == 1
    assert TicketCount.objects.count() <= 3 + 1


@pytest.mark.django_db
def test_rebuild_replaces_a_wrong_summary_with_the_recount():
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-02"), priority="high")
    TicketCount.objects.update(count=42)
    TicketCount.objects.create(day=MARCH_1, status="closed", priority="low", assigned_to="Ghost", count=3)
    assert disagreements()
    buckets = stats.rebuild()
    assert buckets == 2
    assert summary() == recounted()
    assert disagreements() == []


@pytest.mark.django_db
def test_disagreements_name_the_bucket_and_both_counts():
    ticket_at(at("2026-03-01"))
    TicketCount.objects.update(count=5)
    (row,) = disagreements()
    assert str(row["day"]) == "2026-03-01"
    assert (row["status"], row["priority"], row["assigned_to"]) == ("open", "medium", "")
    assert (int(row["stored"]), int(row["actual"])) == (5, 1)


@pytest.mark.django_db
def test_empty_buckets_left_behind_are_not_disagreements():
    ticket = ticket_at(at("2026-03-01"))
    ticket.delete()
    assert sorted(TicketCount.objects.values_list("count", flat=True)) == [-1, 1]
    assert disagreements() == []


# --- Random sequences of writes through every path ---------------------------------------

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
    st.tuples(st.just("fold")),
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
        made = create_tickets(
            *({"title": "Bulk", **values, "created_at": created(d, h)} for (d, h, values), _ in args[0])
        )
        kept.extend(made)
        update_tickets(*((ticket, later) for ticket, (_, later) in zip(made, args[0], strict=True) if later))
    elif kind == "bulk_update" and kept:
        wanted = [pick(n).pk for n, _ in args[0]]
        stored = set(Ticket.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        changes = {pick(n).pk: (pick(n), values) for n, values in args[0] if pick(n).pk in stored}
        update_tickets(*changes.values())
    elif kind == "fold":
        stats.fold()


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
        assert disagreements() == []
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
            create_tickets(*({"title": f"{name} bulk", "created_at": at("2026-03-01")} for _ in range(5)))
            stats.fold()
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
    assert disagreements() == []
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
