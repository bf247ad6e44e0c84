"""Periodic jobs: a small registry that apps add to from their AppConfig's `ready()`.

    from notifications.periodic import register_periodic

    register_periodic("sla.tick", tick, every=lambda: settings.TRIAGE_SLA_TICK_SECONDS)
    register_periodic("insight.train", train, every=86_400, child_process=True)

Every worker runs each job when it starts and then every period, but a job
runs at most once per period across all workers: the run is claimed by
inserting a row for the job and the period's start, which a unique
constraint lets only one worker do. Jobs must be idempotent all the same
(a run that dies half-way is not repeated until the next period).
"""

import logging
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job, how often it runs (seconds, read when it runs so settings apply), and where."""

    name: str
    func: Callable[[], object]
    every: Callable[[], float]
    child_process: bool = False

    @property
    def seconds(self) -> float:
        return float(self.every())


JOBS: dict[str, PeriodicJob] = {}


def register_periodic(
    name: str, func: Callable[[], object], *, every: float | Callable[[], float], child_process: bool = False
) -> None:
    """Run `func` every `every` seconds (a number, or a function returning one) on some worker.

    With `child_process`, the job runs in a process of its own (for work that
    holds the CPU or much memory, such as training a model).
    """
    if name in JOBS:
        raise ValueError(f"a periodic job {name!r} is already registered")
    seconds = every if callable(every) else (lambda: every)
    JOBS[name] = PeriodicJob(name, func, seconds, child_process)


def period_start(now: datetime, seconds: float) -> datetime:
    """The start of the period `now` falls in: periods are counted from the Unix epoch."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def claim(job: PeriodicJob, *, worker_id: str, now: datetime | None = None) -> PeriodicRun | None:
    """Insert this period's run of `job`; None when another worker already has it."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return PeriodicRun.objects.create(
                job=job.name, period_start=period_start(now, job.seconds), worker_id=worker_id, started_at=now
            )
    except IntegrityError:
        return None


def run_if_due(job: PeriodicJob, *, worker_id: str) -> bool:
    """Run `job` if no worker ran it in this period yet; True when this worker ran it."""
    run = claim(job, worker_id=worker_id)
    if run is None:
        return False
    try:
        result = run_in_child(job.name) if job.child_process else job.func()
        outcome = "ok" if result is None else str(result)
    except Exception as error:  # a failing job must not stop the worker; the run records why
        log.exception("periodic job %s failed", job.name)
        outcome = f"failed: {type(error).__name__}: {error}"
    PeriodicRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), outcome=outcome[:1000])
    return True


def run_in_child(name: str) -> str:
    """Run a registered job in a fresh process and wait for it; its exit code says how it went."""
    process = multiprocessing.get_context("spawn").Process(target=_child_main, args=(name,), daemon=True)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the child process exited with {process.exitcode}")
    return "ok (child process)"


def _child_main(name: str) -> None:
    import django

    django.setup()
    JOBS[name].func()
