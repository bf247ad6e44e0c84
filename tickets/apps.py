from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class TicketsConfig(AppConfig):
    """The core: tickets, their audit trail, roles and the demo data."""

    name = "tickets"
    verbose_name = "Tickets"
    # Permissions each role needs on this app's models (see tickets/roles.py).
    role_permissions = {
        "analyst": ["view_ticket", "add_ticket", "change_ticket", "view_ticketevent"],
        "support": ["view_ticket", "add_ticket", "change_ticket"],
    }

    def ready(self):
        from tickets import receivers, roles
        from tickets.models import Ticket

        post_save.connect(receivers.audit_ticket_save, sender=Ticket, dispatch_uid="tickets.audit_save")
        post_delete.connect(receivers.audit_ticket_delete, sender=Ticket, dispatch_uid="tickets.audit_delete")
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="tickets.sync_roles")
