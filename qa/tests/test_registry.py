"""The check registry: adding a check is one decorated function; names are checked up front."""

import pytest

from qa.registry import (
    CHECKS,
    MAX_IDS,
    CheckFindings,
    UnknownCheck,
    Violation,
    register_check,
    selected_checks,
)


@pytest.fixture
def extra_check():
    @register_check("audit_chain", "Every ticket's audit events chain by hash.")
    def audit_chain() -> CheckFindings:
        return CheckFindings(0, [])

    yield CHECKS["audit_chain"]
    del CHECKS["audit_chain"]


def test_a_registered_check_joins_the_suite_after_the_others(extra_check):
    assert [check.name for check in selected_checks()][-1] == "audit_chain"
    assert extra_check.description == "Every ticket's audit events chain by hash."
    assert extra_check.function() == CheckFindings(0, [])


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
