"""The worker: delivery threads, one thread per periodic job, and a heartbeat, none waiting for another.

Delivery threads take queue rows of django-tasks' database backend
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, an exclusive
transaction on SQLite), run the task, and record its result. Any number of
workers on any number of hosts can share the queue.
"""

import functools
import json
import logging
import os
import socket
import threading
import uuid
from collections import defaultdict

from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import Task, TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from notifications.models import WorkerBeat
from notifications.periodic import JOBS, PeriodicJob, run_if_due

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
# How often an idle delivery thread looks for work: the most a new message waits for a worker.
POLL_SECONDS = 0.25


# Queue rows a busy delivery thread claims at once: one claiming transaction for several
# messages, few enough that a slow receiver holds back little.
CLAIM_BATCH = 8


def take_tasks(worker_id: str, *, limit: int = 1, look_first: bool = True) -> list[DBTaskResult]:
    """Claim up to `limit` ready queue rows (oldest first), as the backend's `claim` does, in one transaction.

    With `look_first` (when the last look found nothing), a cheap read comes first, so that an
    idle poll takes no write lock; a busy thread goes straight to the claim. Rows are locked
    with SKIP LOCKED on PostgreSQL (another worker takes the next ones), and SQLite's
    exclusive transaction lets one claim run at a time.
    """
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    if look_first and not ready.exists():
        return []
    with exclusive_transaction():
        rows = list(ready.select_for_update(skip_locked=True)[:limit])
        if rows:
            now = timezone.now()
            DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=TaskResultStatus.RUNNING, started_at=now, worker_ids=[worker_id]
            )
    return rows


@functools.lru_cache(maxsize=64)
def resolve_task(path: str) -> Task:
    """The Task a queue row names (as the backend's model checks: it must be a Task)."""
    task = import_string(path)
    if not isinstance(task, Task):
        raise SuspiciousOperation(f"{path} is not a task")
    return task


def run_tasks(rows: list[DBTaskResult]) -> None:
    """Run claimed queue rows' tasks one after another and record how each ended."""
    finished: dict[str, list] = defaultdict(list)
    for row in rows:
        try:
            value = resolve_task(row.task_path).call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        except Exception as error:  # the queue row records the failure; the worker goes on
            log.exception("task %s (%s) failed", row.pk, row.task_path)
            row.set_failed(error)
            continue
        finished[json.dumps(normalize_json(value), sort_keys=True)].append(row.pk)
    now = timezone.now()
    for value, pks in finished.items():
        DBTaskResult.objects.filter(pk__in=pks).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=now, return_value=json.loads(value),
            exception_class_path="", traceback="",
        )  # fmt: skip


def drain(worker_id: str = "inline", *, limit: int = 10_000) -> int:
    """Run ready queue rows in this thread until none is left (tests, benchmarks); how many ran."""
    count = 0
    while count < limit:
        rows = take_tasks(worker_id)
        if not rows:
            return count
        run_tasks(rows)
        count += len(rows)
    return count


def beat(worker_id: str, started_at) -> None:
    """Record that this worker is alive (its own row: no two workers write the same one)."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "started_at": started_at,
                  "seen_at": timezone.now()},
    )  # fmt: skip


class Worker:
    """One worker process: `threads` delivery threads, a thread per periodic job, and a heartbeat."""

    def __init__(self, *, threads: int, jobs: dict[str, PeriodicJob] | None = None, with_jobs: bool = True):
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self.thread_count = threads
        self.jobs = dict(JOBS if jobs is None else jobs) if with_jobs else {}
        self.stopping = threading.Event()
        self.started_at = timezone.now()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        beat(self.worker_id, self.started_at)
        targets = [("heartbeat", self._heartbeat, ())]
        targets += [(f"deliver-{n}", self._deliver, ()) for n in range(self.thread_count)]
        targets += [(f"job-{job.name}", self._periodic, (job,)) for job in self.jobs.values()]
        for name, target, args in targets:
            thread = threading.Thread(target=self._guarded, args=(target, *args), name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask every thread to finish what it is doing and stop, and wait for them."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def run(self) -> None:
        """Start, then wait until stopped (a signal handler calls `stop`)."""
        self.start()
        while not self.stopping.wait(1.0):
            pass
        self.stop()

    def _guarded(self, target, *args) -> None:
        try:
            target(*args)
        finally:
            connections.close_all()

    def _heartbeat(self) -> None:
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            try:
                beat(self.worker_id, self.started_at)
            except Exception:  # a database blip must not kill the heartbeat; the next beat tries again
                log.exception("heartbeat failed")
                close_old_connections()

    def _deliver(self) -> None:
        busy = False
        while not self.stopping.is_set():
            try:
                rows = take_tasks(self.worker_id, limit=CLAIM_BATCH if busy else 1, look_first=not busy)
                busy = bool(rows)
                if not rows:
                    self.stopping.wait(POLL_SECONDS)
                    continue
                run_tasks(rows)
            except Exception:  # e.g. the database went away: wait, reconnect, go on
                log.exception("delivery thread: taking a task failed")
                connections.close_all()
                self.stopping.wait(1.0)

    def _periodic(self, job: PeriodicJob) -> None:
        while not self.stopping.is_set():
            try:
                run_if_due(job, worker_id=self.worker_id)
            except Exception:
                log.exception("periodic job %s: could not run", job.name)
                connections.close_all()
            # Wake at the next period's start (bounded, so a changed setting applies soon).
            seconds = job.seconds
            now = timezone.now().timestamp()
            self.stopping.wait(min(seconds - now % seconds + 0.05, 60.0))
