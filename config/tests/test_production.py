"""The production profile: deploy checks, gunicorn serving the app and its static files, logs, Redis."""

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRIAGE_", "DATABASE_URL"))}
    env.update(
        DJANGO_SECRET_KEY="k3y-" + "x9Q2#vZ7!pL4@" * 5,
        TRIAGE_AUDIT_KEYS="k1:" + base64.b64encode(b"production-test-audit-key-32b!!!").decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,triage.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        **extra,
    )
    return env


def manage(env, *args, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_serves_the_app_static_files_and_json_request_logs(tmp_path):
    port = free_port()
    env = production_env(tmp_path, DJANGO_SECURE_SSL="0", PORT=str(port), WEB_CONCURRENCY="2")
    assert manage(env, "migrate", "--no-input").returncode == 0
    assert manage(env, "collectstatic", "--no-input").returncode == 0
    server = subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "-c", "config/gunicorn.py"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.status == 200
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/triage/triage.css", timeout=5)  # noqa: S310
        assert css.status == 200 and b"--accent" in css.read()
        assert "max-age" in css.headers.get("Cache-Control", "")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(line["path"] == "/healthz" and line["status"] == 200 for line in lines), out + err
    assert "Booting worker" in err


def test_redis_url_makes_the_cache_shared(tmp_path):
    probe = (
        "import django; django.setup(); from django.core.cache import cache; "
        "from django.conf import settings; cache.set('triage-probe', 42, 10); "
        "print(settings.CACHES['default']['BACKEND'], cache.get('triage-probe'))"
    )
    env = production_env(
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/15", DJANGO_SETTINGS_MODULE="config.settings"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    if "Connection refused" in result.stderr:
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert result.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "42"], result.stderr
