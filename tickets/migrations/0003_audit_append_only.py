"""ticket_events becomes append-only: UPDATE and DELETE fail in the database itself."""

from django.db import migrations

from tickets.append_only import append_only_operation


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_regression_indexes")]
    operations = [append_only_operation("ticket_events")]
