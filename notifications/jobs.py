"""The notification app's periodic jobs: the retry sweep, digests of held messages, and pruning."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import messages
from notifications.delivery import ABANDONED_AFTER, OPEN
from notifications.models import Delivery, PeriodicRun, WorkerBeat
from notifications.periodic import register_periodic

# A worker not seen for this long is dead: its running queue rows are ended.
WORKER_GONE_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 1000


def sweep() -> str:
    """End queue rows of dead workers; queue again deliveries that are due with no live task, or abandoned."""
    ended = end_dead_workers_tasks()
    requeued = requeue_lost_deliveries()
    return f"ended {ended} queue rows, queued {requeued} deliveries again"


def live_worker_ids(now=None) -> set[str]:
    now = now or timezone.now()
    return set(
        WorkerBeat.objects.filter(seen_at__gte=now - WORKER_GONE_AFTER).values_list("worker_id", flat=True)
    )


def end_dead_workers_tasks() -> int:
    """Mark FAILED the queue rows still RUNNING whose worker stopped beating (killed, host lost)."""
    now = timezone.now()
    live = live_worker_ids(now)
    dead = [
        row.pk
        for row in DBTaskResult.objects.running()
        .filter(started_at__lt=now - WORKER_GONE_AFTER)
        .only("worker_ids")
        if not row.worker_ids or row.worker_ids[-1] not in live
    ]
    return DBTaskResult.objects.filter(pk__in=dead, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path="notifications.worker.WorkerVanished",
        traceback="The worker running this task stopped beating; the sweep ended it.",
    )


def requeue_lost_deliveries() -> int:
    """Queue again each open delivery that is abandoned, or due with no queue row waiting for it."""
    from notifications.tasks import deliver

    now = timezone.now()
    waiting = DBTaskResult.objects.filter(pk=OuterRef("task_id"), status__in=["READY", "RUNNING"])
    lost = (
        Delivery.objects.filter(status__in=OPEN, held=False)
        .filter(
            Q(claimed_at__lt=now - ABANDONED_AFTER)
            | Q(claimed_at__isnull=True, next_attempt_at__lte=now) & ~Exists(waiting)
        )
        .values_list("pk", "claimed_at", "task_id")[:SWEEP_BATCH]
    )
    count = 0
    for pk, claimed_at, task_id in lost:
        with transaction.atomic():
            task = deliver.enqueue(str(pk))
            # Only if nobody touched it meanwhile (a worker finishing it, another sweep).
            count += Delivery.objects.filter(pk=pk, claimed_at=claimed_at, task_id=task_id).update(
                claimed_at=None, task_id=task.id
            )
    return count


def send_digests() -> str:
    """For each channel with held messages, queue one digest naming their tickets."""
    from notifications.services import Notice, queue_notifications

    held = (
        Delivery.objects.filter(held=True, digest__isnull=True, status__in=OPEN, channel__isnull=False)
        .order_by("created_at")
        .values_list("pk", "channel_id", "channel_name", "ticket_id")
    )
    by_channel: dict[tuple[int, str], list] = {}
    for pk, channel_id, channel_name, ticket_id in held:
        by_channel.setdefault((channel_id, channel_name), []).append((pk, ticket_id))
    for (channel_id, channel_name), rows in by_channel.items():
        ticket_ids = [ticket_id for _, ticket_id in rows if ticket_id is not None]
        with transaction.atomic():
            (digest,) = queue_notifications([
                Notice(event=Delivery.Event.DIGEST, channel_id=channel_id, channel_name=channel_name,
                       data={"tickets": ticket_ids, "text": messages.digest_text(ticket_ids)})
            ])  # fmt: skip
            Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(digest=digest)
    return f"{len(by_channel)} digests"


def prune() -> str:
    """Delete finished deliveries and finished queue rows older than TRIAGE_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.TRIAGE_RETENTION_DAYS)
    deliveries, _ = Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.FAILED], created_at__lt=cutoff
    ).delete()
    tasks, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    PeriodicRun.objects.filter(started_at__lt=cutoff).delete()
    WorkerBeat.objects.filter(seen_at__lt=cutoff).delete()
    return f"pruned {deliveries} deliveries, {tasks} queue rows"


register_periodic("notifications.sweep", sweep, every=lambda: settings.TRIAGE_SWEEP_SECONDS)
register_periodic("notifications.digests", send_digests, every=60)
register_periodic("notifications.prune", prune, every=86_400)
