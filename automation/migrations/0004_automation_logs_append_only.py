"""automation_logs becomes append-only: UPDATE and DELETE fail in the database itself."""

from django.db import migrations

from tickets.append_only import install_sql, remove_sql


def protect(apps, schema_editor):
    for statement in install_sql(schema_editor.connection.vendor, "automation_logs"):
        schema_editor.execute(statement)


def unprotect(apps, schema_editor):
    for statement in remove_sql(schema_editor.connection.vendor, "automation_logs"):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0003_integrations_and_webhook_deliveries"),
        ("tickets", "0003_audit_append_only"),
    ]
    operations = [migrations.RunPython(protect, unprotect)]
