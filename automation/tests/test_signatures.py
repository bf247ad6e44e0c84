"""Our Standard Webhooks verifier against the reference library, and every way a signature fails."""

import base64
import hmac
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from automation import signatures
from automation.signatures import SignatureError

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
BODY = b'{"title": "Disk full on db-3", "priority": "high"}'
NOW = 1_790_000_000


def headers(
    webhook_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", timestamp=NOW, signature=None, secret=SECRET, body=BODY
):
    signature = signature or signatures.sign(secret, webhook_id, timestamp, body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def verify(sent: dict, body: bytes = BODY, now: float = NOW, secrets=(SECRET,)):
    candidates = [(secret, signatures.decode_secret(secret)) for secret in secrets]
    return signatures.verify(sent, body, candidates, now=now)


def test_a_signature_made_by_the_reference_library_verifies():
    sent_at = datetime.now(tz=UTC)
    signature = Webhook(SECRET).sign("msg_1", sent_at, BODY.decode())
    sent = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    assert verify(sent, now=time.time()) == SECRET


def test_the_reference_library_verifies_our_signature():
    timestamp = int(time.time())
    sent = headers("msg_ours", timestamp)
    assert Webhook(SECRET).verify(BODY, sent) == {"title": "Disk full on db-3", "priority": "high"}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda sent, body: (sent, body + b" "),
        lambda sent, body: ({**sent, "webhook-id": "msg_other"}, body),
        lambda sent, body: ({**sent, "webhook-timestamp": str(NOW + 1)}, body),
        lambda sent, body: (sent, body.replace(b"high", b"low ")),
    ],
    ids=["body", "id", "timestamp", "same length body"],
)
def test_any_change_to_the_signed_content_fails(tamper):
    sent, body = tamper(headers(), BODY)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(sent, body)


def test_a_different_secret_fails_and_the_matching_candidate_is_named():
    with pytest.raises(SignatureError):
        verify(headers(secret=OTHER))
    assert verify(headers(secret=OTHER), secrets=(SECRET, OTHER)) == OTHER


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_five_minutes_either_way_is_accepted(skew):
    assert verify(headers(timestamp=NOW + skew)) == SECRET


@pytest.mark.parametrize("skew, word", [(-301, "old"), (301, "future"), (-86_400, "old"), (10**6, "future")])
def test_a_timestamp_beyond_five_minutes_either_way_is_refused(skew, word):
    with pytest.raises(SignatureError, match=word):
        verify(headers(timestamp=NOW + skew))


def test_rotation_several_signatures_one_valid():
    good = signatures.sign(SECRET, "msg_1", NOW, BODY)
    stale = signatures.sign(OTHER, "msg_1", NOW, BODY)
    assert verify(headers("msg_1", signature=f"{stale} {good}")) == SECRET
    assert verify(headers("msg_1", signature=f"{good} {stale}")) == SECRET
    with pytest.raises(SignatureError):
        verify(headers("msg_1", signature=f"{stale} {stale}"))


def test_other_schemes_and_garbage_entries_are_skipped():
    good = signatures.sign(SECRET, "msg_1", NOW, BODY)
    noisy = f"v1a,c29tZQ== v1,!!notbase64!! v2,{good[3:]}  {good}"
    assert verify(headers("msg_1", signature=noisy)) == SECRET
    with pytest.raises(SignatureError, match="no v1 signature"):
        verify(headers("msg_1", signature=f"v2,{good[3:]}"))


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"webhook-id": ""}, "missing header webhook-id"),
        ({"webhook-timestamp": ""}, "missing header webhook-timestamp"),
        ({"webhook-signature": ""}, "missing header webhook-signature"),
        ({"webhook-timestamp": "1790000000.5"}, "whole number"),
        ({"webhook-timestamp": "-5"}, "whole number"),
        ({"webhook-timestamp": "soon"}, "whole number"),
        ({"webhook-id": "has space"}, "printable ASCII"),
        ({"webhook-id": "x" * 256}, "printable ASCII"),
        ({"webhook-id": "naïve"}, "printable ASCII"),
    ],
)
def test_malformed_headers_are_refused_with_a_reason(change, reason):
    with pytest.raises(SignatureError, match=reason):
        verify({**headers(), **change})


def test_digests_are_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signatures.hmac, "compare_digest", spy)
    verify(headers())
    assert len(calls) == 1 and all(isinstance(x, bytes) and len(x) == 32 for x in calls[0])


def test_generated_secrets_are_whsec_with_a_32_byte_key():
    secret = signatures.generate_secret()
    assert secret.startswith("whsec_") and len(signatures.decode_secret(secret)) == 32
    assert signatures.generate_secret() != secret


@pytest.mark.parametrize(
    "secret, problem",
    [
        ("k" * 40, "starts with"),
        ("whsec_not*base64", "base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "not 5"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "not 65"),
    ],
)
def test_bad_secrets_are_refused(secret, problem):
    with pytest.raises(signatures.SecretError, match=problem):
        signatures.decode_secret(secret)
