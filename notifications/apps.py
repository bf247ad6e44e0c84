from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Channels, the delivery outbox, the task queue's worker and its periodic jobs."""

    name = "notifications"
    verbose_name = "Notifications"
    role_permissions = {
        "analyst": ["view_channel", "view_delivery"],
    }

    def ready(self):
        from notifications import checks, jobs  # noqa: F401 - system checks; jobs register themselves
