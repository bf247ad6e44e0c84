"""The check registry: adding a check is one decorated function; names are checked up front."""

import pytest

from qa import registry
from qa.registry import MAX_IDS, CheckFindings, UnknownCheck, Violation, register_check, selected_checks


@pytest.fixture
def extra_check(monkeypatch):
    """A check registered for one test, in a copy of the registry: the real checks stay as they are."""
    monkeypatch.setattr(registry, "CHECKS", dict(registry.CHECKS))

    @register_check("tickets_have_owners", "Every ticket has an owner.")
    def tickets_have_owners() -> CheckFindings:
        return CheckFindings(0, [])

    return registry.CHECKS["tickets_have_owners"]


def test_a_registered_check_joins_the_suite_after_the_others(extra_check):
    names = [check.name for check in selected_checks()]
    assert names[-2:] == ["audit_chain", "tickets_have_owners"]
    assert extra_check.description == "Every ticket has an owner."
    assert extra_check.function() == CheckFindings(0, [])


def test_a_check_registered_by_a_test_is_gone_afterwards_and_the_real_ones_stay():
    names = [check.name for check in selected_checks()]
    assert "tickets_have_owners" not in names
    assert "audit_chain" in names


def test_named_checks_come_in_registry_order_without_repeats():
    names = [
        check.name
        for check in selected_checks(["data_consistency", "workflow_automation", "data_consistency"])
    ]
    assert names == ["workflow_automation", "data_consistency"]


def test_unknown_names_are_all_reported():
    with pytest.raises(UnknownCheck) as refused:
        selected_checks(["status_integrity", "typo", "other"])
    assert refused.value.names == ["typo", "other"]
    assert "Known checks: workflow_automation, status_integrity" in str(refused.value)


def test_ids_are_the_examples_tickets_capped_at_100():
    examples = [Violation(None, "summary table"), *(Violation(n, "bad") for n in range(1, MAX_IDS + 5))]
    assert CheckFindings(200, examples).ids == list(range(1, MAX_IDS + 1))
