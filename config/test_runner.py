"""`python manage.py test` runs the same pytest suite as `make test`."""


class PytestTestRunner:
    """A Django test runner that hands its arguments to pytest."""

    def __init__(self, verbosity=1, failfast=False, keepdb=False, test_name_patterns=None, **kwargs):
        self.verbosity = verbosity
        self.failfast = failfast
        self.keepdb = keepdb
        self.test_name_patterns = test_name_patterns or []

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--keepdb", action="store_true", help="Keep the test database between runs.")
        parser.add_argument(
            "-k",
            action="append",
            dest="test_name_patterns",
            help="Only tests matching this pytest keyword expression (repeatable: any of them).",
        )

    def run_tests(self, test_labels, **kwargs) -> int:
        """Run pytest on the labels (paths or node ids); return the number of failures."""
        import pytest

        argv = []
        if self.verbosity == 0:
            argv.append("--quiet")
        elif self.verbosity >= 2:
            argv.append("--verbose")
        if self.failfast:
            argv.append("--exitfirst")
        if self.keepdb:
            argv.append("--reuse-db")
        if self.test_name_patterns:  # Django's `-k`, as pytest's keyword expression
            argv.extend(["-k", " or ".join(f"({pattern})" for pattern in self.test_name_patterns)])
        argv.extend(test_labels)
        return pytest.main(argv)
