"""Upgrading: integrations named before names were part of URLs get URL-safe names, and say so."""

import importlib

import pytest
from django.apps import apps

from automation.models import Integration

pytestmark = pytest.mark.django_db

migration = importlib.import_module("automation.migrations.0006_integration_kinds_and_delivery_sources")


def test_names_that_cannot_be_part_of_a_url_are_renamed_and_the_renames_printed(capsys):
    for name in (
        "acme",
        "Acme monitoring",
        "Acme/monitoring",
        "billing (EU)",
        "Zürich",
        "✓",
        "Acme-monitoring-2",
    ):
        Integration.objects.create(name=f"tmp-{len(name)}-{name[:2]}", secret="whsec_x")
        # Free-text names as the old admin allowed them, written past the new validator.
        Integration.objects.filter(name__startswith="tmp-").update(name=name)
    migration.make_names_url_safe(apps, None)
    names = list(Integration.objects.order_by("id").values_list("name", flat=True))
    assert names == [
        "acme", "Acme-monitoring", "Acme-monitoring-3", "billing-EU", "Zurich", "integration",
        "Acme-monitoring-2",
    ]  # fmt: skip
    printed = capsys.readouterr().out
    assert "Renamed integration 'Acme monitoring' to 'Acme-monitoring'" in printed
    assert "'acme'" not in printed


def test_a_database_of_url_safe_names_is_left_as_it_is(capsys):
    Integration.objects.create(name="acme-monitoring", secret="whsec_x")
    migration.make_names_url_safe(apps, None)
    assert Integration.objects.get().name == "acme-monitoring" and capsys.readouterr().out == ""
