"""Queueing many tasks at once: the database backend's own rows, in one insert, in the caller's transaction.

django-tasks enqueues one task per call (`Task.enqueue`), each an ORM
insert. A ticket write may queue a notification per ticket, and the write
pipeline moves its own rows in bulk (`tickets.rows`), so the notification
rows travel the same way: the task is checked by its backend exactly as
`enqueue` checks it, and each queue row holds exactly what the backend's
`enqueue` would store (its model's defaults, the task's priority, queue and
path, the arguments as JSON). Workers take them like any other queue row.
"""

import json
import uuid
from collections.abc import Iterable, Sequence

from django.db import models
from django.db.models import Model
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from tickets.rows import DbValues, insert_rows

_VALIDATED: set = set()


def enqueue_many(task, arguments: Sequence[tuple], *, using: str = "default") -> list[uuid.UUID]:
    """`task.enqueue(*args)` for each tuple of `arguments`, as one insert; the queue rows' ids in order."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return [task.enqueue(*args).id for args in arguments]
    if (task, backend.alias) not in _VALIDATED:
        backend.validate_task(task)  # what enqueue checks; a task's definition does not change in a process
        _VALIDATED.add((task, backend.alias))
    now = timezone.now()
    rows = [
        DBTaskResult(
            id=uuid.uuid4(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after or get_date_max(),
            backend_name=backend.alias,
            enqueued_at=now,
        )
        for args in arguments
    ]
    insert_models(rows, using=using)
    return [row.id for row in rows]


def insert_models(objects: Iterable[Model], *, using: str) -> None:
    """Insert unsaved model instances (primary keys set) in one statement: no signals, no checks.

    Values are adapted by type as the write pipeline adapts its own (datetimes and UUIDs as the
    driver stores them, JSON as text), which costs a fraction of Django's per-field preparation.
    """
    objects = list(objects)
    if not objects:
        return
    model = type(objects[0])
    db = DbValues(using)
    fields = list(model._meta.concrete_fields)
    adapt = [_adapter(field, db) for field in fields]
    names = [field.attname for field in fields]
    rows = [
        tuple(convert(getattr(obj, name)) for convert, name in zip(adapt, names, strict=True))
        for obj in objects
    ]
    insert_rows(model, [field.column for field in fields], rows, using=using)


def _adapter(field, db: DbValues):
    if isinstance(field, models.DateTimeField):
        return db.datetime
    if isinstance(field, models.UUIDField):
        return lambda value: None if value is None else db.uuid(value)
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None and field.null else json.dumps(value, cls=field.encoder)
    return lambda value: value
