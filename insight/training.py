"""Training the resolution-time predictor from the database, and storing it as data.

`train_and_store()` reads closed tickets, compares the model with the
baseline on a time-ordered hold-out, and appends a `ResolutionModel` row
with the winner (every process picks it up within a minute).
`train_in_child_process()` does the same in a fresh process, so a web or
worker process never holds the training's memory.

Which tickets: those created in the last TRAINING_DAYS days, in weekly
cohorts (by creation) of which at least COHORT_CLOSED_SHARE are closed.
Taking only nearly-closed cohorts keeps the open tickets, which are still
running and would take longest, from biasing the times low. At most
MAX_EXAMPLES of them (the newest) are read, in chunks.
"""

import datetime
import multiprocessing
import resource
from dataclasses import dataclass, field
from itertools import islice

from django.db import connections
from django.db.models import Q
from django.utils import timezone

from insight import resolution
from insight.models import ResolutionModel
from tickets.models import Ticket

TRAINING_DAYS = 182
COHORT_DAYS = 7
COHORT_CLOSED_SHARE = 0.95
MAX_EXAMPLES = 200_000
# Models kept in the table: the newest is served, a few before it explain what changed.
KEEP_MODELS = 10
READ_CHUNK = 5_000


@dataclass
class TrainingReport:
    """What a training run found and stored."""

    examples: int = 0
    comparison: dict | None = None
    stored: str | None = None
    model_id: int | None = None
    seconds: float = 0.0
    peak_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


def cohort_bounds(now: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The weekly cohorts of the training window, newest first, as [start, end) of creation times."""
    weeks = TRAINING_DAYS // COHORT_DAYS
    return [
        (
            now - datetime.timedelta(days=COHORT_DAYS * (week + 1)),
            now - datetime.timedelta(days=COHORT_DAYS * week),
        )
        for week in range(weeks)
    ]


def eligible_cohorts(totals: list[int], closed: list[int]) -> list[int]:
    """The cohorts (by position) with tickets of which at least COHORT_CLOSED_SHARE are closed."""
    return [
        position
        for position, (total, done) in enumerate(zip(totals, closed, strict=True))
        if total and done >= COHORT_CLOSED_SHARE * total
    ]


def cohort_counts(bounds, *, using: str) -> tuple[list[int], list[int]]:
    """Tickets and closed tickets created in each cohort: two index range counts per cohort, one statement."""
    connection = connections[using]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    table = quote(Ticket._meta.db_table)
    created, status = quote("created_at"), quote("status")
    params: list = []
    for position, (start, end) in enumerate(bounds):
        params += [position, adapt(start), adapt(end)]
    values = ", ".join(["(%s, %s, %s)"] * len(bounds))
    in_cohort = f"{table}.{created} >= c.cohort_start AND {table}.{created} < c.cohort_end"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH c (position, cohort_start, cohort_end) AS (VALUES {values}) "
            f"SELECT c.position, (SELECT COUNT(*) FROM {table} WHERE {in_cohort}), "
            f"(SELECT COUNT(*) FROM {table} WHERE {table}.{status} = %s AND {in_cohort}) FROM c",
            [*params, Ticket.Status.CLOSED],
        )
        found = {int(position): (int(total), int(done)) for position, total, done in cursor.fetchall()}
    return [found[n][0] for n in range(len(bounds))], [found[n][1] for n in range(len(bounds))]


def load_examples(now: datetime.datetime, *, using: str = "default") -> list[resolution.Example]:
    """The closed tickets of the nearly-closed cohorts, newest first, at most MAX_EXAMPLES."""
    bounds = cohort_bounds(now)
    totals, closed = cohort_counts(bounds, using=using)
    cohorts = eligible_cohorts(totals, closed)
    if not cohorts:
        return []
    window = Q(pk__in=[])
    for position in cohorts:
        start, end = bounds[position]
        window |= Q(created_at__gte=start, created_at__lt=end)
    rows = (
        Ticket.objects.using(using)
        .filter(window, status=Ticket.Status.CLOSED, closed_at__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "closed_at", "priority", "assigned_to", "source", "title")
    )
    zone = timezone.get_default_timezone()
    examples = []
    for created_at, closed_at, priority, assigned_to, source, title in islice(
        rows.iterator(chunk_size=READ_CHUNK), MAX_EXAMPLES
    ):
        hours = max((closed_at - created_at).total_seconds() / 3600, 0.0)
        examples.append(
            resolution.Example(
                timezone.localtime(created_at, zone), priority, assigned_to, source, title, hours
            )
        )
    return examples


def train_and_store(*, now: datetime.datetime | None = None, using: str = "default") -> TrainingReport:
    """Train on the database's closed tickets and store the predictor that wins on the hold-out."""
    from insight import predictions

    started = timezone.now()
    now = now or started
    report = TrainingReport()
    examples = load_examples(now, using=using)
    report.examples = len(examples)
    comparison = resolution.compare(examples) if examples else None
    if comparison is None or comparison.baseline is None:
        report.notes.append(
            "Too little history: no priority has enough closed tickets in nearly-closed weekly cohorts; "
            "nothing stored."
        )
    else:
        report.comparison = comparison.as_dict()
        predictor = resolution.fit_for_serving(examples, use_model=comparison.model_wins)
        stored = ResolutionModel.objects.using(using).create(
            kind=predictor.kind,
            trained_at=now,
            parameters=predictor.parameters(),
            evaluation=report.comparison,
        )
        keep = ResolutionModel.objects.using(using).order_by("-id").values_list("id", flat=True)[:KEEP_MODELS]
        ResolutionModel.objects.using(using).exclude(id__in=list(keep)).delete()
        report.stored, report.model_id = predictor.kind, stored.pk
        predictions.forget()
    report.seconds = (timezone.now() - started).total_seconds()
    report.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def train_in_child_process(*, using: str = "default") -> TrainingReport:
    """Run `train_and_store` in a fresh process (spawned, so it shares no memory or connection) and wait."""
    from insight import child_process

    database = dict(connections[using].settings_dict)
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=child_process.train, args=(database, sending), daemon=True)
    process.start()
    sending.close()
    try:
        report = receiving.recv()
    except EOFError:
        report = None
    process.join()
    if process.exitcode != 0 or report is None:
        raise RuntimeError(f"training failed in its child process (exit code {process.exitcode})")
    return report
