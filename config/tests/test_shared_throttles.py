"""With REDIS_URL, throttles are shared: two server processes count one user's requests together.

Two gunicorn servers (one worker each, as two workers or two hosts would be)
use one Redis; a user allowed five requests a minute gets five in all, not
five from each. Without REDIS_URL the cache, and so the count, is per
process (the README says so). Skipped when no Redis answers on 127.0.0.1.
"""

import http.client
import re

import pytest

from bench.harness import HOST, free_port, manage, server_env, start_server, stop_server

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied first
PORTS = range(8401, 8500)


@pytest.fixture
def redis_url():
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield REDIS_URL
    connection.flushdb()


def get(port: int, token: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/api/tickets", headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_two_server_processes_share_one_users_throttle_through_redis(tmp_path, redis_url):
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url, TRIAGE_API_RATE="5/min")
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--tickets", "0", "--force")
    token = re.search(r"Generated token (\w+)", manage(env, "drf_create_token", "analyst")).group(1)
    first_port = free_port(PORTS)
    first = start_server(env, first_port, 1, tmp_path / "first.log")
    try:
        second_port = free_port(range(first_port + 1, PORTS.stop))
        second = start_server(env, second_port, 1, tmp_path / "second.log")
        try:
            answers = [get(port, token) for port in (first_port, second_port) * 4]
        finally:
            stop_server(second)
    finally:
        stop_server(first)
    assert [answer.status for answer in answers] == [200] * 5 + [429] * 3
    assert all(int(answer.getheader("Retry-After")) >= 1 for answer in answers[5:])
