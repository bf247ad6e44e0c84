"""Random JSON thrown at every alert source, signed as each sender signs: never a 500, always a JSON answer.

Two kinds of bodies: any JSON at all, and the documented payloads with one value anywhere replaced by
random JSON (or removed), which reaches the adapters' deeper checks.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.tests.senders import FIXTURES, fixture, to_alertmanager, to_github, to_pagerduty
from tickets.tests.strategies import FUZZ, JSON_VALUES

pytestmark = pytest.mark.django_db

ANSWERS = {200, 201, 202, 400}
PAYLOADS = {
    source: sorted(path.stem for path in FIXTURES.glob(f"{source}-*.json"))
    for source in ("alertmanager", "github", "pagerduty")
}
DELETE = object()


def paths(value, prefix=()):
    """Every path into a JSON document: keys and list indexes."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, (*prefix, index))


def replaced(document, path, value):
    """`document` with the value at `path` replaced (or removed, for DELETE)."""
    if not path:
        return document if value is DELETE else value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@st.composite
def bodies(draw, source: str):
    """Any JSON, or a documented payload of `source` with one value changed or removed."""
    if draw(st.booleans()):
        return draw(JSON_VALUES)
    document = fixture(draw(st.sampled_from(PAYLOADS[source])))
    path = draw(st.sampled_from(list(paths(document))))
    value = draw(st.just(DELETE) | JSON_VALUES)
    return replaced(document, path, value)


def assert_answered(response):
    assert response.status_code in ANSWERS, response.content
    body = response.json()
    assert isinstance(body, dict) and body


@FUZZ
@given(payload=bodies("alertmanager"))
def test_alertmanager_answers_any_json_without_a_500(client, alertmanager, payload):
    assert_answered(to_alertmanager(client, alertmanager, payload))


@FUZZ
@given(payload=bodies("github"), event=st.sampled_from(["issues", "ping", "push"]) | st.text(max_size=20))
def test_github_answers_any_json_and_any_event_without_a_500(client, github, payload, event):
    assert_answered(to_github(client, github, payload, event=event))


@FUZZ
@given(payload=bodies("pagerduty"))
def test_pagerduty_answers_any_json_without_a_500(client, pagerduty, payload):
    assert_answered(to_pagerduty(client, pagerduty, payload))
