from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    """The core: tickets, their write pipeline and audit trail, roles and the demo data."""

    name = "tickets"
    verbose_name = "Tickets"
    # Permissions each role needs on this app's models (see tickets/roles.py).
    role_permissions = {
        "analyst": ["view_ticket", "add_ticket", "change_ticket", "view_ticketevent"],
        "support": ["view_ticket", "add_ticket", "change_ticket"],
    }

    def ready(self):
        from tickets import roles

        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="tickets.sync_roles")
