"""Serving `predicted_resolution`: the newest stored predictor, kept per process, refreshed within a minute.

Each process keeps the predictor it loaded and asks the database for a
newer one at most every RELOAD_SECONDS (one indexed query for the newest
id; the row itself only when it changed), so a model trained anywhere is
served everywhere within a minute, and a ticket's answer costs a few
dictionary look-ups, not a query.
"""

import threading
import time

from django.utils import timezone

from insight.models import ResolutionModel
from insight.resolution import predictor_from
from tickets.models import Ticket

RELOAD_SECONDS = 30

_lock = threading.Lock()
_state: dict = {"id": None, "predictor": None, "checked_at": None}


def forget(*, check_now: bool = True) -> None:
    """Drop this process's predictor: read the newest at the next use, or (check_now=False) assume none."""
    with _lock:
        _state.update(id=None, predictor=None, checked_at=None if check_now else time.monotonic())


def current_predictor():
    """The newest stored predictor (None before any training), re-checked every RELOAD_SECONDS."""
    checked_at = _state["checked_at"]
    if checked_at is not None and time.monotonic() - checked_at < RELOAD_SECONDS:
        return _state["predictor"]
    newest = ResolutionModel.objects.order_by("-id").values_list("id", flat=True).first()
    if newest != _state["id"]:
        row = ResolutionModel.objects.filter(pk=newest).values_list("kind", "parameters").first()
        predictor = predictor_from(*row) if row else None
        with _lock:
            _state.update(id=newest if row else None, predictor=predictor)
    with _lock:
        _state["checked_at"] = time.monotonic()
    return _state["predictor"]


def predicted_resolution(ticket: Ticket) -> dict | None:
    """`{"p50_hours", "p90_hours"}` for a ticket not closed; None when closed or nothing is trained."""
    if ticket.status == Ticket.Status.CLOSED or ticket.created_at is None:
        return None
    predictor = current_predictor()
    if predictor is None:
        return None
    found = predictor.predict(
        timezone.localtime(ticket.created_at, timezone.get_default_timezone()),
        ticket.priority,
        ticket.assigned_to,
        ticket.source,
        ticket.title,
    )
    if found is None:
        return None
    return {"p50_hours": round(found[0], 1), "p90_hours": round(found[1], 1)}


PREDICTED_RESOLUTION_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": (
        "Predicted wall-clock hours from creation to closing (median and 90th percentile); "
        "null for closed tickets and before there is enough history."
    ),
    "properties": {"p50_hours": {"type": "number"}, "p90_hours": {"type": "number"}},
    "required": ["p50_hours", "p90_hours"],
}
