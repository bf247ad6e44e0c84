"""`python manage.py test` hands Django's options to pytest, so QA's habits keep working."""

import pytest
from django.core.management import call_command

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
    expected = ["--verbose", "--exitfirst", "--reuse-db", "-k", "(webhook) or (etag)", "qa/tests"]
    assert pytest_argv == [expected]


def test_no_options_run_the_whole_suite(pytest_argv):
    PytestTestRunner().run_tests([])

    assert pytest_argv == [[]]


def test_manage_py_test_takes_k(pytest_argv):
    call_command("test", "config/tests/test_settings.py", "-k", "secret", verbosity=1)

    assert pytest_argv == [["-k", "(secret)", "config/tests/test_settings.py"]]
