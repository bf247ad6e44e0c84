"""The rules every stored ticket obeys, as pure functions over a ticket's field values.

Every write path (model save, bulk insert, admin form, API serializer) calls
these, so a bad value is refused the same way wherever it comes from.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError

STATUSES = ("open", "in_progress", "closed")
PRIORITIES = ("low", "medium", "high")
MAX_LENGTHS = {"title": 200, "assigned_to": 100, "external_id": 200}

ASSIGNMENT_RULE = (
    "A low-priority ticket cannot be in progress unless it is assigned to a person "
    "or team (not empty, not a bot)."
)


def bot_names() -> frozenset[str]:
    """The configured bot assignees, trimmed and case-folded."""
    return frozenset(name.strip().casefold() for name in settings.TRIAGE_BOT_NAMES)


def is_proper_assignee(name: str) -> bool:
    """True for a person or team: not empty, not only whitespace, not a bot."""
    folded = (name or "").strip().casefold()
    return folded != "" and folded not in bot_names()


def breaks_assignment_rule(state: Mapping) -> bool:
    """True when a low-priority ticket is in progress without a proper assignee."""
    return (
        state.get("priority") == "low"
        and state.get("status") == "in_progress"
        and not is_proper_assignee(state.get("assigned_to", ""))
    )


def value_errors(state: Mapping) -> dict[str, list[str]]:
    """Errors in single field values (enums, lengths, blank title), keyed by field."""
    title = state.get("title")
    if (
        isinstance(title, str)
        and len(title.strip()) > 0
        and state.get("status") in STATUSES
        and state.get("priority") in PRIORITIES
        and all(len(state.get(field) or "") <= limit for field, limit in MAX_LENGTHS.items())
    ):
        return {}  # the common case, decided in one pass
    errors: dict[str, list[str]] = {}
    if not isinstance(title, str) or title.strip() == "":
        errors["title"] = ["This field may not be blank."]
    if state.get("status") not in STATUSES:
        errors["status"] = [f'"{state.get("status")}" is not a valid choice.']
    if state.get("priority") not in PRIORITIES:
        errors["priority"] = [f'"{state.get("priority")}" is not a valid choice.']
    for field, limit in MAX_LENGTHS.items():
        value = state.get(field) or ""
        if len(value) > limit:
            errors.setdefault(field, []).append(f"Ensure this field has no more than {limit} characters.")
    return errors


def assignment_rule_field(state: Mapping, stored: Mapping | None) -> str:
    """Name the field whose change broke the assignment rule, for the error message."""
    if stored is None:
        return "status"
    for field in ("status", "assigned_to", "priority"):
        if state.get(field) != stored.get(field):
            return field
    return "status"


def check_ticket(state: Mapping, stored: Mapping | None = None) -> None:
    """Raise ValidationError (keyed by field) if `state` may not be stored."""
    errors = value_errors(state)
    if not errors and breaks_assignment_rule(state):
        errors[assignment_rule_field(state, stored)] = [ASSIGNMENT_RULE]
    if errors:
        raise ValidationError(errors)
