"""closed_at and external_url on tickets; audit events gain a sentence, new kinds and their key id.

Closed tickets get `closed_at` from their `updated_at` (the best record of
when they were closed that every database holds). Events written before this
migration carry no key id: the regression suite reports them as unkeyed. On
SQLite the audit table is rebuilt for the longer `kind`, which drops its
append-only triggers; the last operation puts them back.
"""

import django.utils.timezone
from django.db import migrations, models

from tickets.append_only import reprotect_operation


def closed_at_from_updated_at(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Ticket.objects.using(schema_editor.connection.alias).filter(status="closed").update(
        closed_at=models.F("updated_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0005_idempotency_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='closed_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When it was last closed; empty while not closed.', null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='external_url',
            field=models.CharField(blank=True, db_default='', default='', help_text="A link back to the sender's page for this ticket.", max_length=500),
        ),
        migrations.AddField(
            model_name='ticketevent',
            name='key_id',
            field=models.CharField(blank=True, help_text='The audit key that signed the event; empty for events written before keys existed.', max_length=32, null=True),
        ),
        migrations.AddField(
            model_name='ticketevent',
            name='text',
            field=models.TextField(blank=True, default='', help_text='A sentence saying what happened, or empty.'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='updated_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, help_text='When a tracked field last changed.'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('updated', 'Updated'), ('deleted', 'Deleted'), ('sla', 'Sla'), ('comment', 'Comment'), ('comment_deleted', 'Comment Deleted')], max_length=15),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(condition=models.Q(('key_id__isnull', True)), fields=['id'], name='ticket_events_unkeyed_idx'),
        ),
        migrations.RunPython(closed_at_from_updated_at, migrations.RunPython.noop),
        reprotect_operation("ticket_events"),
    ]
