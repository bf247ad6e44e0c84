"""The rules every stored ticket obeys, as pure functions over a ticket's field values.

The write pipeline checks every write with these (and the admin's form its
input), so a bad value is refused the same way wherever it comes from.
"""

import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError

from tickets.fields import EXTERNAL_URL_PATTERN, MAX_LENGTHS, PRIORITIES, STATUSES

_external_url = re.compile(EXTERNAL_URL_PATTERN)
EXTERNAL_URL_MESSAGE = "Enter an http:// or https:// link without spaces."


def is_external_url(value: str) -> bool:
    """True for a link `external_url` may hold (the empty string aside)."""
    return _external_url.match(value) is not None

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
        and (not state.get("external_url") or _external_url.match(state["external_url"]))
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
    url = state.get("external_url")
    if url and "external_url" not in errors and not is_external_url(url):
        errors["external_url"] = [EXTERNAL_URL_MESSAGE]
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
