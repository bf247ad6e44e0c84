"""Fixtures of the regression-suite tests: a private log directory whose every file must validate."""

import pytest

from qa.tests.log_validation import assert_logs_valid


@pytest.fixture(autouse=True)
def log_dir(tmp_path, settings):
    """TRIAGE_LOG_DIR for the test; afterwards every log written there must match its JSON Schema."""
    directory = tmp_path / "test_logs"
    settings.TRIAGE_LOG_DIR = directory
    yield directory
    if directory.is_dir():
        assert_logs_valid(directory)
        assert not list(directory.glob(".*.tmp")), "a temporary file was left behind"


@pytest.fixture(autouse=True)
def only_the_probes_a_test_registers(monkeypatch):
    """These tests plant rows behind the model's back, which other apps' probes (the dashboard's
    summary recount) rightly report as well; each test here sees only the probes it registers."""
    from qa.registry import CONSISTENCY_PROBES

    for name in list(CONSISTENCY_PROBES):
        monkeypatch.delitem(CONSISTENCY_PROBES, name)
