from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete


class DashboardConfig(AppConfig):
    """The live operations dashboard and the summary table that keeps it fast."""

    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self):
        # probes registers itself with qa, counting with the tickets filter (the API's list totals).
        from dashboard import counting, probes, receivers  # noqa: F401
        from tickets import signals
        from tickets.models import Ticket

        post_save.connect(receivers.count_ticket_save, sender=Ticket, dispatch_uid="dashboard.count_save")
        pre_delete.connect(
            receivers.remember_ticket_before_delete, sender=Ticket, dispatch_uid="dashboard.remember_delete"
        )
        post_delete.connect(
            receivers.count_ticket_delete, sender=Ticket, dispatch_uid="dashboard.count_delete"
        )
        signals.tickets_post_bulk_create.connect(
            receivers.count_bulk_create, dispatch_uid="dashboard.count_bulk_create"
        )
        signals.tickets_post_bulk_update.connect(
            receivers.count_bulk_update, dispatch_uid="dashboard.count_bulk_update"
        )
