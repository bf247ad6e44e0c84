"""`export_rules` and `import_rules`: rules kept in version control, by name, ids kept."""

import json

import pytest
from django.core.management import CommandError, call_command

from automation.models import Rule
from notifications.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def export(capsys) -> dict:
    call_command("export_rules")
    return json.loads(capsys.readouterr().out)


def write(tmp_path, document) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_export_lists_rules_in_position_order_without_ids(capsys):
    document = export(capsys)
    assert document["version"] == 1
    assert [rule["name"] for rule in document["rules"]] == ["High priority → Senior Analyst",
                                                            "Low priority → SupportBot"]  # fmt: skip
    assert all("id" not in rule for rule in document["rules"])


def test_importing_an_unchanged_export_changes_nothing(capsys, tmp_path):
    ChannelFactory(name="ops-chat")
    document = export(capsys)
    before = list(Rule.objects.values("id", "name", "updated_at"))
    call_command("import_rules", write(tmp_path, document))
    assert "0 changes written" in capsys.readouterr().out
    assert list(Rule.objects.values("id", "name", "updated_at")) == before


def test_import_creates_and_updates_by_name_keeping_ids(capsys, tmp_path):
    ChannelFactory(name="ops-chat")
    document = export(capsys)
    high_id = Rule.objects.get(name="High priority → Senior Analyst").pk
    document["rules"][0]["position"] = 5
    document["rules"][0]["description"] = "Escalate"
    document["rules"].append({"name": "Tell ops", "trigger": "create",
                              "actions": [{"type": "notify", "channel": "ops-chat"}]})  # fmt: skip
    call_command("import_rules", write(tmp_path, document))
    out = capsys.readouterr().out
    assert "change High priority → Senior Analyst (description, position)" in out
    assert "create Tell ops" in out
    high = Rule.objects.get(name="High priority → Senior Analyst")
    assert (high.pk, high.position, high.description) == (high_id, 5, "Escalate")
    assert Rule.objects.get(name="Tell ops").actions.get().channel.name == "ops-chat"


def test_a_dry_run_prints_the_plan_and_writes_nothing(capsys, tmp_path):
    document = export(capsys)
    document["rules"] = document["rules"][:1]
    document["rules"][0]["enabled"] = False
    document["rules"].append(
        {"name": "New", "actions": [{"type": "set", "field": "assigned_to", "value": "Ops"}]}
    )
    before = list(Rule.objects.values())
    call_command("import_rules", write(tmp_path, document), "--dry-run", "--prune")
    out = capsys.readouterr().out
    assert "change High priority → Senior Analyst (enabled)" in out
    assert "create New" in out and "delete Low priority → SupportBot" in out
    assert "nothing written" in out
    assert list(Rule.objects.values()) == before


def test_prune_deletes_rules_not_in_the_file(capsys, tmp_path):
    document = export(capsys)
    document["rules"] = document["rules"][:1]
    call_command("import_rules", write(tmp_path, document), "--prune")
    assert list(Rule.objects.values_list("name", flat=True)) == ["High priority → Senior Analyst"]


def test_an_invalid_rule_in_the_file_imports_nothing(capsys, tmp_path):
    document = export(capsys)
    document["rules"][0]["position"] = 1
    document["rules"].append({"name": "Bad", "actions": [{"type": "notify", "channel": "nowhere"}]})
    before = list(Rule.objects.values())
    with pytest.raises(CommandError, match="rule 3 \\(Bad\\).*nowhere"):
        call_command("import_rules", write(tmp_path, document))
    assert list(Rule.objects.values()) == before


@pytest.mark.parametrize("content", ["not json", json.dumps({"version": 2, "rules": []}), json.dumps([])])
def test_a_file_that_is_not_an_export_is_refused(tmp_path, content):
    path = tmp_path / "rules.json"
    path.write_text(content)
    with pytest.raises(CommandError):
        call_command("import_rules", str(path))
