"""Where regression checks are registered: adding a check is one decorated function.

Other apps contribute to the `data_consistency` check without qa importing
them: they register a consistency probe (the dashboard registers the
comparison of its summary table with the tickets this way).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# The most offending ticket ids (and reasons) a check reports; the count is always complete.
MAX_IDS = 100


@dataclass(frozen=True)
class Violation:
    """One thing a check found wrong: the ticket (if any) and why."""

    ticket_id: int | None
    reason: str


@dataclass(frozen=True)
class Check:
    """A registered check: its name, a one-line rule, and the function that runs it."""

    name: str
    description: str
    function: Callable[[], "CheckFindings"]


@dataclass(frozen=True)
class CheckFindings:
    """What a check returns: the total number of violations, up to 100 examples, and notes.

    Notes say something worth knowing that is not a violation (the check
    still passes), such as audit events too old to carry a key.
    """

    violations: int
    examples: list[Violation]
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The offending ticket ids among the examples, each once, lowest first (findings about no
        ticket have none; a ticket may have several findings, such as two broken audit events)."""
        return sorted({example.ticket_id for example in self.examples if example.ticket_id is not None})[
            :MAX_IDS
        ]


class UnknownCheck(LookupError):
    """A check name that nothing registered."""

    def __init__(self, names: list[str]):
        self.names = names
        known = ", ".join(CHECKS) or "none"
        super().__init__(f"Unknown check {', '.join(map(repr, names))}. Known checks: {known}.")


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


def selected_checks(names: Iterable[str] | None = None) -> list[Check]:
    """The checks to run, in registration order: all of them, or those named (UnknownCheck if not)."""
    if not names:
        return list(CHECKS.values())
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in CHECKS]
    if unknown:
        raise UnknownCheck(unknown)
    return [check for name, check in CHECKS.items() if name in wanted]
