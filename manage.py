#!/usr/bin/env python
"""Django's command-line utility for Triage."""

import os
import sys


def main() -> None:
    """Run a management command; `test` runs the pytest suite with the test settings."""
    if sys.argv[1:2] == ["test"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
