"""The queue's tasks: what a worker runs when it takes a queue row."""

from django_tasks import task

from notifications import delivery


@task()
def deliver(delivery_id: str) -> str:
    """Make one attempt at a delivery, if it is still due and nobody else holds it; say what happened."""
    return delivery.attempt(delivery_id)
