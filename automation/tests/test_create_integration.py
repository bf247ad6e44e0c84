"""`manage.py create_integration NAME [--secret whsec_...]`: create or rotate, print the secret."""

import base64

import pytest
from django.core.management import CommandError, call_command

from automation import signatures
from automation.models import Integration

pytestmark = pytest.mark.django_db

GIVEN = "whsec_" + base64.b64encode(b"g" * 32).decode()


def run(*args) -> tuple[str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("create_integration", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_it_creates_an_active_integration_and_prints_only_the_secret():
    out, err = run("acme-monitoring")
    integration = Integration.objects.get()
    assert (integration.name, integration.active) == ("acme-monitoring", True)
    assert out == integration.secret and len(signatures.decode_secret(out)) == 32
    assert "Created" in err


def test_it_takes_a_given_secret():
    out, _ = run("acme", "--secret", GIVEN)
    assert out == GIVEN == Integration.objects.get().secret


def test_running_it_again_rotates_the_secret():
    first, _ = run("acme")
    created = Integration.objects.get()
    second, err = run("acme")
    rotated = Integration.objects.get()
    assert first != second == rotated.secret
    assert rotated.pk == created.pk and rotated.secret_rotated_at > created.secret_rotated_at
    assert "Rotated" in err


def test_rotating_an_inactive_integration_says_it_is_inactive():
    run("acme")
    Integration.objects.update(active=False)
    _, err = run("acme")
    assert "INACTIVE" in err and not Integration.objects.get().active


@pytest.mark.parametrize(
    "args, message",
    [
        (("acme", "--secret", "hunter2"), "not a valid secret"),
        (("acme", "--secret", "whsec_" + base64.b64encode(b"short").decode()), "24 to 64 bytes"),
        (("   ",), "NAME must be"),
        (("x" * 101,), "NAME must be"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Integration.objects.count() == 0


@pytest.mark.parametrize("kind", ["alertmanager", "github", "pagerduty"])
def test_it_makes_an_integration_of_any_kind_and_prints_its_secret_as_the_last_word(kind):
    out, err = run("prod-alerts", "--kind", kind)
    integration = Integration.objects.get()
    assert (integration.name, integration.kind, integration.active) == ("prod-alerts", kind, True)
    assert out.split()[-1] == integration.secret and len(integration.secret) >= 40
    assert f"/webhook/{kind}/prod-alerts" in err


def test_the_kind_defaults_to_standard():
    out, err = run("acme")
    assert Integration.objects.get().kind == "standard" and out.startswith("whsec_")
    assert "/webhook/ticket" in err


def test_it_takes_the_secret_a_sender_made_and_re_keys_an_integration_keeping_its_kind():
    run("payments-pd", "--kind", "pagerduty")
    out, err = run("payments-pd", "--secret", "Pd-made: any string, even with spaces ✓")
    integration = Integration.objects.get()
    assert (integration.kind, integration.secret) == ("pagerduty", "Pd-made: any string, even with spaces ✓")
    assert out.endswith("✓") and "Rotated" in err


def test_alertmanagers_token_is_printed_and_may_be_given():
    token = "am-" + "t" * 30
    out, err = run("prod-alerts", "--kind", "alertmanager", "--secret", token)
    assert out == token == Integration.objects.get().secret
    assert "bearer token" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (("Acme monitoring",), "only letters, digits"),
        (("acme/api",), "only letters, digits"),
        (("prod", "--kind", "alertmanager", "--secret", "short"), "bearer token is at least 16"),
        (("prod", "--kind", "alertmanager", "--secret", "has spaces in the token"), "no spaces"),
        (("prod", "--kind", "github", "--secret", ""), "1 to 200 characters"),
        (("prod", "--kind", "pagerduty", "--secret", "p" * 201), "1 to 200 characters"),
    ],
)
def test_names_and_secrets_the_senders_cannot_use_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Integration.objects.count() == 0


def test_re_keying_with_another_kind_is_refused_and_changes_nothing():
    run("prod-alerts", "--kind", "alertmanager")
    before = Integration.objects.values().get()
    with pytest.raises(CommandError, match="is of kind alertmanager, not github"):
        run("prod-alerts", "--kind", "github")
    assert Integration.objects.values().get() == before


def test_an_unknown_kind_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        run("prod", "--kind", "opsgenie")
    assert Integration.objects.count() == 0
