"""What every benchmark of the served app needs: a scratch database, gunicorn, and a load driver.

- `postgres_database(url)` makes a throwaway PostgreSQL database (and a function dropping it);
- `manage(env, ...)` runs a management command against the benchmark's database;
- `server_env(url)`, `start_server(...)`, `stop_server(...)`: gunicorn on loopback, DEBUG off,
  throttles off, in its own process group;
- `drive(...)` and `drive_mix(...)`: client threads, each with its own `http.client`
  connection, sending requests for a fixed time (or up to a request budget) and recording
  each request's latency and status, per kind of request.
"""

import base64
import http.client
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# (method, path, body, headers) for request n of client thread `index`: make(index, n).
RequestMaker = Callable[[int, int], tuple[str, str, bytes | None, dict]]
# The same, led by the kind of request it is (its results are kept apart): make(index, n).
MixedRequestMaker = Callable[[int, int], tuple[str, str, str, bytes | None, dict]]


@dataclass
class Phase:
    """What one phase (or one kind of request in a mixed phase) measured."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency in milliseconds at `fraction` (0.5 is the median)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def errors(self) -> int:
        return len(self.unexpected)


def drive(
    name: str,
    make: RequestMaker,
    *,
    port: int,
    expected: set[int],
    threads: int,
    duration: float,
    max_requests: int,
    warmup: int = 10,
) -> Phase:
    """Send requests from `threads` threads for `duration` seconds (or `max_requests` in all)."""

    def make_one_kind(index: int, n: int):
        return (name, *make(index, n))

    phases = drive_mix(
        make_one_kind,
        expected={name: expected},
        port=port,
        threads=threads,
        duration=duration,
        max_requests=max_requests,
        warmup=warmup,
    )
    return phases[name]


def drive_mix(
    make: MixedRequestMaker,
    *,
    expected: dict[str, set[int]],
    port: int,
    threads: int,
    duration: float,
    max_requests: int,
    warmup: int = 10,
) -> dict[str, Phase]:
    """Like `drive`, for a mix of request kinds; one Phase per kind, in the order of `expected`.

    A status that is not expected for its kind counts as an error (the
    first few are kept, with the start of their body, to be reported).
    """
    phases = {kind: Phase(kind) for kind in expected}
    lock = threading.Lock()
    budget = itertools.count()
    ready, go = threading.Barrier(threads + 1), threading.Event()
    clock = {"deadline": 0.0}

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        for n in range(warmup):  # connections, rule caches and the like, not measured
            _, method, path, body, headers = make(index, -1 - n)
            connection.request(method, path, body, headers)
            connection.getresponse().read()
        ready.wait()
        go.wait()
        latencies, statuses, unexpected = defaultdict(list), defaultdict(Counter), defaultdict(list)
        n = 0
        while time.perf_counter() < clock["deadline"] and next(budget) < max_requests:
            kind, method, path, body, headers = make(index, n)
            began = time.perf_counter()
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            content = response.read()
            latencies[kind].append(time.perf_counter() - began)
            statuses[kind][response.status] += 1
            if response.status not in expected[kind] and len(unexpected[kind]) < 5:
                unexpected[kind].append(f"{response.status} {method} {path} {content[:200]!r}")
            n += 1
        connection.close()
        with lock:
            for kind in latencies:
                phases[kind].latencies.extend(latencies[kind])
                phases[kind].statuses.update(statuses[kind])
                phases[kind].unexpected.extend(unexpected[kind])

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()  # every client has warmed up
    began = time.perf_counter()
    clock["deadline"] = began + duration
    go.set()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    for kind, phase in phases.items():
        phase.seconds = seconds
        phase.unexpected += [
            f"{code} x{count}" for code, count in phase.statuses.items() if code not in expected[kind]
        ]
    return phases


def free_port(ports: range) -> int:
    """The first port of `ports` that nothing listens on."""
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) != 0:
                return port
    raise SystemExit(f"no free port in {ports.start}-{ports.stop - 1}")


def manage(env: dict, *args: str) -> str:
    """Run a management command for the benchmark's database; its standard output."""
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def server_env(database_url: str, **overrides: str) -> dict:
    """The server's environment: production settings on loopback, DEBUG off, throttles off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRIAGE_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        TRIAGE_AUDIT_KEYS="bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_ALLOWED_HOSTS=HOST,
        TRIAGE_API_RATE="",  # throttling off: we measure the work, not the limit
        TRIAGE_WEBHOOK_RATE="",
        TRIAGE_WEBHOOK_REFUSAL_RATE="",
        TRIAGE_LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def start_server(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """gunicorn with `workers` sync workers on HOST:port, once its /healthz answers 200."""
    log = open(log_path, "w")  # noqa: SIM115 - handed to the server process
    server = subprocess.Popen(  # noqa: S603 - gunicorn with fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers),
         "--bind", f"{HOST}:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    for _ in range(300):
        time.sleep(0.1)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {log_path}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            continue
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer /healthz: see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group, started above)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def postgres_database(server_url: str, prefix: str = "triage_bench") -> tuple[str, Callable[[], None]]:
    """Create a throwaway database on the server of `server_url`; its URL and a function dropping it."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop
