"""Periodic jobs: once per period across workers; the sweep, digests of held messages, pruning."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import jobs, periodic
from notifications.delivery import attempt
from notifications.models import Delivery, PeriodicRun, WorkerBeat
from notifications.tests.factories import ChannelFactory, notify_rule
from notifications.tests.servers import Answer
from notifications.worker import beat, drain
from tickets.models import Ticket
from tickets.tests.factories import create_tickets

pytestmark = pytest.mark.django_db


def test_the_app_registers_the_sweep_digests_and_pruning(settings):
    settings.TRIAGE_SWEEP_SECONDS = 7
    assert {"notifications.sweep", "notifications.digests", "notifications.prune"} <= set(periodic.JOBS)
    assert periodic.JOBS["notifications.sweep"].seconds == 7  # read when it runs
    assert periodic.JOBS["notifications.prune"].seconds == 86_400


def test_a_job_runs_at_most_once_per_period_across_workers():
    runs = []
    job = periodic.PeriodicJob("test.count", lambda: runs.append(1), lambda: 3600)
    assert periodic.run_if_due(job, worker_id="a") is True
    assert periodic.run_if_due(job, worker_id="b") is False  # the same hour: the insert is refused
    assert runs == [1]
    run = PeriodicRun.objects.get(job="test.count")
    assert (run.worker_id, run.outcome) == ("a", "ok") and run.finished_at is not None


def test_a_failing_job_is_recorded_and_does_not_raise():
    def broken():
        raise ValueError("boom")

    job = periodic.PeriodicJob("test.broken", broken, lambda: 60)
    assert periodic.run_if_due(job, worker_id="a") is True
    assert PeriodicRun.objects.get(job="test.broken").outcome == "failed: ValueError: boom"


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        periodic.register_periodic("notifications.sweep", lambda: None, every=30)


def test_periods_are_counted_from_the_epoch():
    now = timezone.now().replace(minute=17, second=42, microsecond=5)
    assert periodic.period_start(now, 3600) == now.replace(minute=0, second=0, microsecond=0)
    assert periodic.period_start(now, 30) == now.replace(second=30, microsecond=0)


def test_the_sweep_queues_again_a_delivery_whose_worker_vanished(receiver):
    server = receiver(Answer(200))
    notify_rule(ChannelFactory(target=server.url()))
    Ticket.objects.create(title="Abandoned")
    delivery = Delivery.objects.get()
    long_ago = timezone.now() - timedelta(minutes=5)
    # A worker took the queue row and claimed the delivery, then died (its heartbeat stopped).
    WorkerBeat.objects.create(worker_id="dead", hostname="h", pid=1, started_at=long_ago, seen_at=long_ago)
    DBTaskResult.objects.filter(pk=delivery.task_id).update(
        status="RUNNING", started_at=long_ago, worker_ids=["dead"]
    )
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=long_ago, attempts=1)
    assert drain() == 0  # nothing is ready: the queue row is "running"
    assert jobs.sweep() == "ended 1 queue rows, queued 1 deliveries again"
    assert DBTaskResult.objects.get(pk=delivery.task_id).status == "FAILED"
    assert drain() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert jobs.sweep() == "ended 0 queue rows, queued 0 deliveries again"  # idempotent


def test_the_sweep_leaves_a_live_workers_rows_alone():
    notify_rule(ChannelFactory())
    Ticket.objects.create(title="Being sent")
    delivery = Delivery.objects.get()
    beat("alive", timezone.now())
    just_now = timezone.now() - timedelta(seconds=5)
    DBTaskResult.objects.filter(pk=delivery.task_id).update(
        status="RUNNING", started_at=just_now, worker_ids=["alive"]
    )
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=just_now)
    assert jobs.sweep() == "ended 0 queue rows, queued 0 deliveries again"


def test_the_sweep_queues_a_due_delivery_that_has_no_queue_row():
    notify_rule(ChannelFactory())
    Ticket.objects.create(title="Lost its task")
    DBTaskResult.objects.all().delete()  # e.g. pruned, or written by hand
    assert jobs.requeue_lost_deliveries() == 1
    delivery = Delivery.objects.get()
    assert DBTaskResult.objects.get(pk=delivery.task_id).status == "READY"
    assert jobs.requeue_lost_deliveries() == 0  # its queue row waits now


def test_a_second_claim_of_a_delivery_does_nothing(receiver):
    server = receiver(Answer(200))
    notify_rule(ChannelFactory(target=server.url()))
    Ticket.objects.create(title="Twice queued")
    delivery_id = str(Delivery.objects.get().pk)
    assert attempt(delivery_id) == "sent"
    assert attempt(delivery_id) == "skipped"  # a duplicate task finds it sent
    assert len(server.requests) == 1


def test_past_the_rate_messages_are_held_and_sent_as_one_digest(receiver):
    server = receiver(Answer(200))
    channel = ChannelFactory(target=server.url(), max_per_minute=3)
    notify_rule(channel)
    tickets = create_tickets(*({"title": f"Storm {n}"} for n in range(10)))
    drain()
    assert len(server.requests) == 3
    held = Delivery.objects.filter(held=True)
    assert held.count() == 7 and set(held.values_list("status", flat=True)) == {"pending"}
    assert jobs.send_digests() == "1 digests"
    drain()
    assert len(server.requests) == 4
    import json

    digest = json.loads(server.requests[-1].body)["data"]
    held_ids = sorted(Delivery.objects.filter(held=True).values_list("ticket_id", flat=True))
    assert digest["event"] == "digest" and sorted(digest["tickets"]) == held_ids
    assert digest["text"].startswith("7 more tickets: #")
    assert set(held_ids) <= {t.pk for t in tickets}
    assert set(Delivery.objects.filter(held=True).values_list("status", flat=True)) == {"sent"}
    assert jobs.send_digests() == "0 digests"


def test_pruning_deletes_old_finished_rows_only(settings):
    settings.TRIAGE_RETENTION_DAYS = 30
    notify_rule(ChannelFactory())
    Ticket.objects.create(title="Old")
    Ticket.objects.create(title="Pending, old")
    old = timezone.now() - timedelta(days=31)
    first, second = Delivery.objects.order_by("created_at")
    Delivery.objects.filter(pk=first.pk).update(status="sent", created_at=old, finished_at=old)
    Delivery.objects.filter(pk=second.pk).update(created_at=old)  # not finished: kept
    DBTaskResult.objects.filter(pk=first.task_id).update(status="SUCCESSFUL", finished_at=old)
    assert jobs.prune() == "pruned 1 deliveries, 1 queue rows"
    assert list(Delivery.objects.values_list("pk", flat=True)) == [second.pk]
