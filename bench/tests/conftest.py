"""Smoke tests of benchmarks that build SQLite databases of their own, whatever the suite's
DATABASE_URL, run once: in the SQLite pass of CI, not again in the PostgreSQL pass."""

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
OWN_SQLITE = ("test_run.py", "test_regression.py", "test_rules.py", "test_alerts.py", "test_notify.py")


def pytest_collection_modifyitems(items):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        skip = pytest.mark.skip(reason="builds its own SQLite database; runs in the SQLite pass")
        for item in items:
            # The hook sees the whole session's items: only this folder's files are meant.
            if item.path.name in OWN_SQLITE and item.path.parent == HERE:
                item.add_marker(skip)
