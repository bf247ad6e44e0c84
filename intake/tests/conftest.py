"""Integrations of each alert source, made as an admin makes them."""

import pytest

from automation.integrations import integration_save_secret


@pytest.fixture
def alertmanager():
    """`prod-alerts`, an Alertmanager integration with the default severity mapping."""
    return integration_save_secret(name="prod-alerts", kind="alertmanager")[0]


@pytest.fixture
def github():
    """`acme-api`, the GitHub integration of the acme/api repository's webhook."""
    return integration_save_secret(name="acme-api", kind="github", secret="It's a Secret to Everybody")[0]


@pytest.fixture
def pagerduty():
    """`payments-pd`, a PagerDuty webhook subscription's integration."""
    return integration_save_secret(name="payments-pd", kind="pagerduty")[0]
