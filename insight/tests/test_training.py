"""Training from the database: which tickets, what is stored, and how every process picks it up."""

import datetime
import json

import pytest
from django.utils import timezone

from insight import predictions, training
from insight.models import ResolutionModel
from insight.tests.factories import closed_history
from tickets.api.serializers import TicketSerializer
from tickets.models import Ticket
from tickets.tests.factories import create_tickets

pytestmark = pytest.mark.django_db


def history(now, weeks=(3, 4, 5, 6), per_week=30):
    """Closed tickets of several weeks: high ones close in 2 hours, low ones in 30."""
    specs = []
    for week in weeks:
        for n in range(per_week):
            priority = ("high", "low")[n % 2]
            specs.append((7 * week + n % 5, 2 if priority == "high" else 30, {"priority": priority}))
    return closed_history(specs, now=now)


def test_training_stores_the_baseline_as_json_and_open_tickets_get_predictions():
    now = timezone.now()
    history(now)
    report = training.train_and_store(now=now)
    assert report.examples == 120 and report.stored == "baseline"
    stored = ResolutionModel.objects.get()
    assert json.loads(json.dumps(stored.parameters)) == stored.parameters  # plain data, no pickle
    assert stored.parameters["quantiles"]["high"][0] == pytest.approx(2, abs=0.01)
    assert stored.evaluation["baseline"]["coverage_p90"] >= 0
    (fresh,) = create_tickets({"title": "Printer on fire", "priority": "low"})
    predicted = TicketSerializer(fresh).data["predicted_resolution"]
    assert predicted == {"p50_hours": pytest.approx(30, abs=0.1), "p90_hours": pytest.approx(30, abs=0.1)}


def test_closed_tickets_and_unknown_priorities_get_null():
    now = timezone.now()
    history(now)
    training.train_and_store(now=now)
    closed = Ticket.objects.filter(status="closed").first()
    assert TicketSerializer(closed).data["predicted_resolution"] is None
    (medium,) = create_tickets({"title": "No history of this priority", "priority": "medium"})
    assert TicketSerializer(medium).data["predicted_resolution"] is None


def test_with_too_little_history_nothing_is_stored_and_predictions_are_null():
    now = timezone.now()
    closed_history([(30, 5, {"priority": "high"})] * 5, now=now)
    report = training.train_and_store(now=now)
    assert report.stored is None and report.notes and ResolutionModel.objects.count() == 0
    (ticket,) = create_tickets({"title": "Anything", "priority": "high"})
    assert TicketSerializer(ticket).data["predicted_resolution"] is None


def test_cohorts_with_many_open_tickets_are_left_out():
    now = timezone.now()
    history(now)
    # Last week: 30 tickets, only the quick ones closed. Training on them would bias the times low.
    specs = [(2, 1 if n < 10 else None, {"priority": "high"}) for n in range(30)]
    closed_history(specs, now=now)
    assert training.train_and_store(now=now).examples == 120


def test_a_model_trained_elsewhere_is_served_after_the_reload_interval(
    monkeypatch, django_assert_num_queries
):
    clock = {"now": 1000.0}
    monkeypatch.setattr(predictions.time, "monotonic", lambda: clock["now"])
    predictions.forget()
    (ticket,) = create_tickets({"title": "Waiting", "priority": "high"})
    assert predictions.predicted_resolution(ticket) is None
    ResolutionModel.objects.create(kind="baseline", parameters={"quantiles": {"high": [3.0, 9.0]}})
    assert predictions.predicted_resolution(ticket) is None  # within the interval: not looked for yet
    clock["now"] += predictions.RELOAD_SECONDS
    assert predictions.predicted_resolution(ticket) == {"p50_hours": 3.0, "p90_hours": 9.0}
    with django_assert_num_queries(0):  # between checks, a prediction reads nothing
        for _ in range(100):
            predictions.predicted_resolution(ticket)


@pytest.mark.django_db(transaction=True)
def test_training_in_a_child_process_stores_a_model_this_process_serves():
    now = timezone.now()
    history(now)
    report = training.train_in_child_process()
    assert report.stored == "baseline" and report.examples == 120 and report.peak_mb > 0
    assert ResolutionModel.objects.filter(pk=report.model_id).exists()
    predictions.forget()
    (ticket,) = create_tickets({"title": "Fresh", "priority": "high"})
    assert TicketSerializer(ticket).data["predicted_resolution"]["p50_hours"] == pytest.approx(2, abs=0.1)


def test_old_models_are_pruned():
    now = timezone.now()
    history(now)
    for _ in range(training.KEEP_MODELS + 2):
        training.train_and_store(now=now)
    assert ResolutionModel.objects.count() == training.KEEP_MODELS


def test_the_cohort_window_ends_now():
    now = timezone.now()
    bounds = training.cohort_bounds(now)
    assert bounds[0][1] == now and bounds[0][0] == now - datetime.timedelta(days=training.COHORT_DAYS)
    assert len(bounds) == training.TRAINING_DAYS // training.COHORT_DAYS
