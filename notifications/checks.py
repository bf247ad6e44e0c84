"""System checks of the notification set-up: the queue must commit with the write that enqueues."""

from django.conf import settings
from django.core import checks

QUEUE_BACKEND = "django_tasks_db.DatabaseBackend"


@checks.register(checks.Tags.compatibility)
def check_task_queue(app_configs=None, **kwargs):
    """The default task backend is the database queue, and does not defer enqueueing to on_commit."""
    backend = getattr(settings, "TASKS", {}).get("default", {})
    problems = []
    if backend.get("BACKEND") != QUEUE_BACKEND:
        problems.append(checks.Error(
            f"TASKS['default'] must use {QUEUE_BACKEND}: notifications are queued as rows in the "
            "ticket write's transaction.", id="notifications.E001",
        ))  # fmt: skip
    if backend.get("ENQUEUE_ON_COMMIT"):
        problems.append(checks.Error(
            "TASKS['default'] has ENQUEUE_ON_COMMIT: a queue row written after the commit can be lost "
            "when the process dies in between.", hint="Remove ENQUEUE_ON_COMMIT.", id="notifications.E002",
        ))  # fmt: skip
    return problems
