"""Start-up from the environment: safe defaults, and loud failures in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
    "from django.conf import settings; print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])"
)


def start(**env) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with exactly `env` set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TRIAGE_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_production_without_a_secret_key_fails_with_a_clear_message():
    result = start(DJANGO_ALLOWED_HOSTS="triage.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_without_allowed_hosts_fails_with_a_clear_message():
    result = start(DJANGO_SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


PRODUCTION = {"DJANGO_SECRET_KEY": "s" * 50, "DJANGO_ALLOWED_HOSTS": "triage.example.com"}
A_KEY = "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQyNDI="  # 32 bytes


def test_production_without_audit_keys_fails_with_a_clear_message():
    result = start(**PRODUCTION)
    assert result.returncode != 0
    assert "TRIAGE_AUDIT_KEYS is not set" in result.stderr


def test_production_with_audit_keys_starts():
    result = start(**PRODUCTION, TRIAGE_AUDIT_KEYS=f"{A_KEY}, old:{'b2xkLWtleS1vZi1zaXh0ZWVuLWJ5dGVz'}")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQyNDI=", "is not id:base64key"),
        ("k1:not base64!", "is not valid base64"),
        ("k1:c2hvcnQ=", "is 5 bytes"),
        (f"{A_KEY},{A_KEY}", "appears twice"),
        ("k 1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQyNDI=", "is not id:base64key"),
    ],
)
def test_a_malformed_audit_key_is_refused_at_start_up(value, message):
    result = start(**PRODUCTION, TRIAGE_AUDIT_KEYS=value)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_needs_no_variables_and_uses_sqlite():
    result = start(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_boolean_is_refused(value):
    result = start(DJANGO_DEBUG=value)
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_manage_py_test_runs_the_pytest_suite():
    result = subprocess.run(
        [sys.executable, "manage.py", "test", f"{__file__}::test_debug_needs_no_variables_and_uses_sqlite"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_real_users_need_passwords_of_at_least_twelve_characters():
    import django
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    assert django.conf.settings.configured
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tr1age-shrt")
    validate_password("correct horse battery staple")
