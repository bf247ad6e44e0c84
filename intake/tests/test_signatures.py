"""Each source's signature or token: the right one verifies, anything else is refused with a reason."""

import hashlib
import hmac

import pytest

from intake.events import Unverified
from intake.signatures import (
    check_bearer_token,
    check_github_signature,
    check_pagerduty_signature,
    github_signature,
    pagerduty_signature,
)

BODY = b'{"zen": "Design for failure."}'


def test_a_bearer_token_verifies_whatever_the_schemes_case():
    for header in ("Bearer s3cr3t-token-value", "bearer s3cr3t-token-value", "BEARER  s3cr3t-token-value "):
        check_bearer_token(header, "s3cr3t-token-value")


@pytest.mark.parametrize(
    "header, reason",
    [
        ("", "missing header Authorization (Bearer token)"),
        ("Basic dXNlcjpwYXNz", "Authorization is not a Bearer token"),
        ("Bearer", "Authorization is not a Bearer token"),
        ("Bearer another-token-value", "the bearer token is not this integration's"),
        ("Bearer s3cr3t-token-valuE", "the bearer token is not this integration's"),
    ],
)
def test_anything_but_the_bearer_token_is_refused(header, reason):
    with pytest.raises(Unverified) as refused:
        check_bearer_token(header, "s3cr3t-token-value")
    assert refused.value.reason == reason


def test_githubs_signature_is_the_hex_hmac_of_the_body_keyed_by_the_secrets_utf8_bytes():
    secret = "It's a Secret to Everybody ✓"
    expected = hmac.new(secret.encode("utf-8"), BODY, hashlib.sha256).hexdigest()
    assert github_signature(secret, BODY) == f"sha256={expected}"
    check_github_signature(f"sha256={expected}", secret, BODY)
    check_github_signature(f"sha256={expected.upper()}", secret, BODY)


@pytest.mark.parametrize(
    "header, reason",
    [
        ("", "missing header X-Hub-Signature-256"),
        ("sha1=abc", "X-Hub-Signature-256 is not sha256=<hex>"),
        ("sha256=", "X-Hub-Signature-256 is not sha256=<hex>"),
        ("sha256=00ff", "X-Hub-Signature-256 does not match this integration's secret"),
        ("sha256=é", "X-Hub-Signature-256 does not match this integration's secret"),
    ],
)
def test_a_bad_github_signature_is_refused(header, reason):
    with pytest.raises(Unverified) as refused:
        check_github_signature(header, "secret", BODY)
    assert refused.value.reason == reason


def test_a_github_signature_of_other_bytes_is_refused():
    with pytest.raises(Unverified):
        check_github_signature(github_signature("secret", BODY + b" "), "secret", BODY)


def test_pagerduty_signs_with_every_secret_it_holds_and_any_one_verifies():
    header = pagerduty_signature(BODY, "old-secret", "new-secret")
    assert header.count("v1=") == 2 and "," in header
    check_pagerduty_signature(header, "old-secret", BODY)
    check_pagerduty_signature(header, "new-secret", BODY)
    check_pagerduty_signature(header.replace(",", ", "), "new-secret", BODY)
    with pytest.raises(Unverified) as refused:
        check_pagerduty_signature(header, "third-secret", BODY)
    assert refused.value.reason == "no X-PagerDuty-Signature entry matches this integration's secret"


@pytest.mark.parametrize(
    "header, reason",
    [
        ("", "missing header X-PagerDuty-Signature"),
        ("v0=abc", "X-PagerDuty-Signature has no v1= signature"),
        ("sha256=abc,", "X-PagerDuty-Signature has no v1= signature"),
    ],
)
def test_a_pagerduty_header_without_a_v1_signature_is_refused(header, reason):
    with pytest.raises(Unverified) as refused:
        check_pagerduty_signature(header, "secret", BODY)
    assert refused.value.reason == reason
