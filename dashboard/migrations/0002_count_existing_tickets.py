"""Fill the summary from the tickets already stored when the dashboard is installed.

Self-contained (historical models only), so later changes to dashboard/stats.py
cannot change what this migration did. Later drift is fixed by `rebuild_stats`.
"""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone


def count_existing_tickets(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketCount = apps.get_model("dashboard", "TicketCount")
    using = schema_editor.connection.alias
    recount = (
        Ticket.objects.using(using)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("day", "status", "priority", "assigned_to")
        .annotate(n=Count("id"))
        .order_by()
    )
    sql, params = recount.query.sql_with_params()
    table = schema_editor.connection.ops.quote_name(TicketCount._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, status, priority, assigned_to, count) "
            f"SELECT day, status, priority, assigned_to, n FROM ({sql}) AS recount",
            params,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(count_existing_tickets, migrations.RunPython.noop)]
