"""The ticket's shape: its enums, the lengths of its text fields, and the fields its writers set.

The `Ticket` model is built from these, and every other module (the rules
engine, the serializer, the row writer, the admin, the tests) reads them from
here or from the model, never from a list of its own.
"""

from django.db import models


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Source(models.TextChoices):
    """The channel a ticket was created through."""

    API = "api", "API"
    WEBHOOK = "webhook", "Webhook"
    ADMIN = "admin", "Admin"
    SEED = "seed", "Demo seed"
    SYSTEM = "system", "System"


STATUSES: tuple[str, ...] = tuple(Status.values)
PRIORITIES: tuple[str, ...] = tuple(Priority.values)

# What `external_url` holds when not empty: an http or https link, no spaces or control characters
# (a JSON Schema pattern too, so Python and the API's schema read it alike).
EXTERNAL_URL_PATTERN = r"^https?://[^\u0000-\u0020\u007f-\u009f]+$"

# The most characters each bounded text field holds.
MAX_LENGTHS: dict[str, int] = {"title": 200, "assigned_to": 100, "external_id": 200, "external_url": 500}

# The fields a person, a rule or an integration writes. Only these are audited
# field by field, and only a change to one of them moves `updated_at`,
# `version` and the ETag. Everything else on the row is set by the server.
TRACKED_FIELDS: tuple[str, ...] = (
    "title", "description", "status", "priority", "assigned_to", "external_id", "external_url",
)  # fmt: skip

# The fields a rule's condition may test, and those its actions may set.
RULE_CONDITION_FIELDS: tuple[str, ...] = TRACKED_FIELDS
RULE_ACTION_FIELDS: tuple[str, ...] = ("status", "priority", "assigned_to")
ENUM_VALUES: dict[str, tuple[str, ...]] = {"status": STATUSES, "priority": PRIORITIES}
