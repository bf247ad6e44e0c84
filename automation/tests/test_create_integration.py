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
