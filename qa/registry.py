"""Where regression checks are registered: adding a check is one decorated function.

Other apps contribute to the `data_consistency` check without qa importing
them: they register a consistency probe (the dashboard registers the
summary-table recount this way).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One thing a check found wrong: the ticket (if any) and why."""

    ticket_id: int | None
    reason: str


@dataclass(frozen=True)
class Check:
    """A registered check: its SPEC name, a one-line rule, and the function that runs it."""

    name: str
    description: str
    function: Callable[[], "CheckFindings"]


@dataclass(frozen=True)
class CheckFindings:
    """What a check returns: the total number of violations and up to 100 examples."""

    violations: int
    examples: list[Violation]


CHECKS: dict[str, Check] = {}
# name -> function returning the probe's violations (each an extra data_consistency finding).
CONSISTENCY_PROBES: dict[str, Callable[[], list[Violation]]] = {}


def register_check(name: str, description: str):
    """Decorator: register `function` as the check `name`."""

    def decorate(function):
        CHECKS[name] = Check(name, description, function)
        return function

    return decorate


def register_consistency_probe(name: str):
    """Decorator: add `function` to the data_consistency check (another app's own tables)."""

    def decorate(function):
        CONSISTENCY_PROBES[name] = function
        return function

    return decorate
