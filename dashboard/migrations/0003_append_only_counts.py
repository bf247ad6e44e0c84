"""The summary takes appended rows instead of upserts, and the data version row goes.

Both were rows that every ticket write updated and held until commit, which
made concurrent writers on PostgreSQL wait for each other. Existing rows stay
valid: a bucket with one row is a folded bucket.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0002_count_existing_tickets")]

    operations = [
        migrations.AddIndex(
            model_name="ticketcount",
            index=models.Index(
                fields=["day", "status", "priority", "assigned_to"], name="dashboard_counts_bucket_idx"
            ),
        ),
        migrations.RemoveConstraint(model_name="ticketcount", name="dashboard_counts_bucket_unique"),
        migrations.DeleteModel(name="DataVersion"),
    ]
