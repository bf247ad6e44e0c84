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
    summary comparison) rightly report as well; each test here sees only the probes it registers.
    Returns the probes the apps registered, for a test that wants them all."""
    from qa.registry import CONSISTENCY_PROBES

    registered = dict(CONSISTENCY_PROBES)
    for name in registered:
        monkeypatch.delitem(CONSISTENCY_PROBES, name)
    return registered


@pytest.fixture
def every_probe(only_the_probes_a_test_registers, monkeypatch):
    """The probes every app registered, back in place: the suite as production runs it."""
    from qa.registry import CONSISTENCY_PROBES

    for name, probe in only_the_probes_a_test_registers.items():
        monkeypatch.setitem(CONSISTENCY_PROBES, name, probe)
    return CONSISTENCY_PROBES
