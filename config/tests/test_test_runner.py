"""`python manage.py test` hands Django's options to pytest, so QA's habits keep working."""

import pytest

from config.test_runner import PytestTestRunner


@pytest.fixture
def pytest_argv(monkeypatch):
    """The arguments the runner passes to pytest.main (pytest itself is not started again)."""
    seen = []
    monkeypatch.setattr(pytest, "main", lambda argv: seen.append(argv) or 0)
    return seen


def test_django_options_become_pytest_options(pytest_argv):
    runner = PytestTestRunner(verbosity=2, failfast=True, keepdb=True, test_name_patterns=["webhook", "etag"])

    assert runner.run_tests(["qa/tests"]) == 0
    assert pytest_argv == [["--verbose", "--exitfirst", "--reuse-db", "-k", "webhook or etag", "qa/tests"]]


def test_no_options_run_the_whole_suite(pytest_argv):
    PytestTestRunner().run_tests([])

    assert pytest_argv == [[]]
