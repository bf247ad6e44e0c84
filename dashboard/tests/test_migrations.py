"""Installing the dashboard on a database that already holds tickets counts them."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from dashboard.models import TicketCount
from dashboard.tests.factories import at, recounted, summary, ticket_at

pytestmark = pytest.mark.django_db

fill = importlib.import_module("dashboard.migrations.0002_count_existing_tickets")


def test_the_data_migration_counts_the_tickets_already_stored():
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-04"), priority="high")
    expected = recounted()
    TicketCount.objects.all().delete()  # as before the dashboard app existed
    fill.count_existing_tickets(apps, SimpleNamespace(connection=connection))
    assert summary() == expected
