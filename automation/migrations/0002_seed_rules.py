"""Install the two rules Triage ships with: high priority to Senior Analyst, low priority to SupportBot."""

from django.db import migrations

SEED_RULES = [
    {
        "name": "High priority → Senior Analyst",
        "position": 10,
        "description": (
            "On create, or on update when priority changed: a high-priority ticket that is "
            "not closed is escalated to Senior Analyst and put in progress (this overrides "
            "an assignee named in the same write)."
        ),
        "conditions": [("priority", "changed", ""), ("priority", "is", "high"), ("status", "is_not", "closed")],
        "actions": [("assigned_to", "Senior Analyst"), ("status", "in_progress")],
    },
    {
        "name": "Low priority → SupportBot",
        "position": 20,
        "description": (
            "On create, or on update when priority changed: an unassigned low-priority "
            "ticket is assigned to SupportBot."
        ),
        "conditions": [("priority", "changed", ""), ("priority", "is", "low"), ("assigned_to", "is_empty", "")],
        "actions": [("assigned_to", "SupportBot")],
    },
]


def install(apps, schema_editor):
    Rule = apps.get_model("automation", "Rule")
    for data in SEED_RULES:
        rule, created = Rule.objects.using(schema_editor.connection.alias).get_or_create(
            name=data["name"],
            defaults={"position": data["position"], "description": data["description"], "trigger": "both", "match": "all"},
        )
        if not created:
            continue
        for field, operator, value in data["conditions"]:
            rule.conditions.create(field=field, operator=operator, value=value)
        for field, value in data["actions"]:
            rule.actions.create(field=field, value=value)


def uninstall(apps, schema_editor):
    Rule = apps.get_model("automation", "Rule")
    Rule.objects.using(schema_editor.connection.alias).filter(
        name__in=[data["name"] for data in SEED_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("automation", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
