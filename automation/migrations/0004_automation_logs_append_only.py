"""automation_logs becomes append-only: UPDATE and DELETE fail in the database itself."""

from django.db import migrations

from tickets.append_only import append_only_operation


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0003_integrations_and_webhook_deliveries"),
        ("tickets", "0003_audit_append_only"),
    ]
    operations = [append_only_operation("automation_logs")]
