"""Notifications: save-to-receiver latency, how fast a worker drains the queue, what a notify rule costs.

    python bench/notify.py                      # SQLite
    python bench/notify.py --database-url postgres://postgres@127.0.0.1:5432/postgres

In a database of its own (a SQLite file in a temp dir, or a scratch
PostgreSQL database, dropped afterwards), with gunicorn (2 workers) serving
the API and a real HTTP receiver on loopback answering 200:

1. **Latency**: one idle `run_worker` process; tickets created one at a
   time over the API, each fired by a notify rule to a signed webhook
   channel; the time from sending the create to the receiver's answer.
2. **Drain**: with no worker running, a batch write queues `--drain`
   deliveries; then one worker starts, and the time from the first message
   received to the last gives the messages per second (start-up left out,
   and reported).
3. **Cost**: API creates per second from 4 client threads, with the notify
   rule enabled and disabled in alternating rounds (no worker running: the
   request's own cost), the rule change reaching gunicorn through Redis.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    HOST,
    drive,
    free_port,
    postgres_database,
    server_env,
    start_server,
    stop_server,
)

LATENCY_TARGET_S = 2.0
DRAIN_TARGET = 50.0
COST_TARGET = 0.15


class Receiver:
    """A loopback HTTP server answering 200 to every POST, noting when each webhook-id was answered."""

    def __init__(self):
        self.answered: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the name http.server calls
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.answered[self.headers.get("webhook-id", "")] = time.perf_counter()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return len(self.answered)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="A PostgreSQL server (a scratch database on it); default SQLite."
    )
    parser.add_argument("--saves", type=int, default=60, help="Tickets for the latency (default 60).")
    parser.add_argument("--drain", type=int, default=1000, help="Deliveries to drain (default 1,000).")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds with and without the rule (default 3).")
    parser.add_argument("--seconds", type=float, default=8.0, help="Seconds a round (default 8).")
    parser.add_argument("--threads", type=int, default=4, help="Delivery threads of the worker (default 4).")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/3", help="Redis for the rules' cache ('' for none)."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="triage-bench-notify-") as scratch:
        if args.database_url:
            url, drop = postgres_database(args.database_url, name=f"triage_notify_bench_{os.getpid()}")
        else:
            url, drop = f"sqlite:///{scratch}/notify.sqlite3", (lambda: None)
        env = server_env(
            url,
            REDIS_URL=args.redis_url,
            TRIAGE_OUTBOUND_ALLOW_PRIVATE="1",
            TRIAGE_WORKER_THREADS=str(args.threads),
        )
        if not args.redis_url:
            # No shared cache: every process reads the rules on each write, so a toggle applies at once.
            env["TRIAGE_RULES_CACHE_SECONDS"] = "0"
        os.environ.update(env)
        try:
            return measure(args, env, Path(scratch))
        finally:
            from django.db import connections

            connections.close_all()
            drop()


def measure(args, env: dict, scratch: Path) -> int:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--no-input", verbosity=0)
    cache.clear()
    receiver = Receiver()
    admin_token = make_admin_token()
    rule = make_notify_rule(receiver.url)
    port = free_port(range(8700, 8800))
    server = start_server(env, port, workers=2, log_path=scratch / "gunicorn.log")
    try:
        workers = f"gunicorn 2 workers, one run_worker of {args.threads} threads"
        print(f"notifications on {connection.vendor} ({workers})")
        latency(args.saves, port, admin_token, receiver, env, scratch)
        drain(args.drain, receiver, env, scratch)
        cost(args, port, admin_token, rule)
    finally:
        stop_server(server)
        receiver.server.shutdown()
    return 0


def make_admin_token() -> str:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    user = User.objects.create_superuser("bench-admin", password=None)
    return Token.objects.create(user=user).key


def make_notify_rule(url: str):
    from automation.services import rule_save
    from notifications.models import Channel
    from notifications.signing import new_secret

    Channel.objects.create(
        name="bench", kind="webhook", target=url, secret=new_secret(), max_per_minute=100_000
    )
    return rule_save(rule=None, data={"name": "Tell the bench", "trigger": "create",
                                      "actions": [{"type": "notify", "channel": "bench"}]})  # fmt: skip


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "a")  # noqa: SIM115 - handed to the worker process
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def post_ticket(port: int, token: str, title: str) -> str:
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("POST", "/api/tickets", json.dumps({"title": title}),
                       {"Content-Type": "application/json", "Authorization": f"Token {token}"})  # fmt: skip
    response = connection.getresponse()
    body = json.loads(response.read())
    if response.status != 201:
        raise SystemExit(f"create failed: {response.status} {body}")
    return body["id"]


def latency(saves: int, port: int, token: str, receiver: Receiver, env: dict, scratch: Path) -> None:
    from notifications.models import Delivery

    worker = start_worker(env, scratch / "worker.log")
    try:
        time.sleep(3)  # the worker is up and idle
        seconds = []
        for n in range(saves):
            began = time.perf_counter()
            ticket_id = post_ticket(port, token, f"Latency {n}")
            delivery_id = str(Delivery.objects.get(ticket_id=ticket_id).pk)
            while delivery_id not in receiver.answered and time.perf_counter() - began < 30:
                time.sleep(0.002)
            seconds.append(receiver.answered.get(delivery_id, float("inf")) - began)
            time.sleep(0.3)  # idle again before the next save
    finally:
        stop_worker(worker)
    ordered = sorted(seconds)
    p50, p95 = statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    verdict = "met" if p95 < LATENCY_TARGET_S else "MISSED"
    print(f"  save -> receiver's answer, {saves} saves   p50 {p50 * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms "
          f"  max {ordered[-1] * 1000:7.0f} ms   (target p95 < 2 s: {verdict})")  # fmt: skip


def drain(count: int, receiver: Receiver, env: dict, scratch: Path) -> None:
    from notifications.models import Delivery
    from tickets.pipeline import TicketChange, write_tickets

    before = receiver.count()
    write_tickets([TicketChange.create({"title": f"Drain {n}"}) for n in range(count)])
    queued = Delivery.objects.filter(status="pending").count()
    began = time.perf_counter()
    worker = start_worker(env, scratch / "worker.log")
    try:
        while receiver.count() < before + queued and time.perf_counter() - began < 300:
            time.sleep(0.01)
    finally:
        stop_worker(worker)
    with receiver.lock:
        times = sorted(list(receiver.answered.values())[before:])
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span if span else float("inf")
    verdict = "met" if rate >= DRAIN_TARGET else "MISSED"
    print(f"  drain {queued:,} queued deliveries, one worker   {rate:7.1f} a second "
          f"(first to last {span:.1f} s; with start-up {times[-1] - began:.1f} s)   "
          f"(target >= {DRAIN_TARGET:.0f}/s: {verdict})")  # fmt: skip


def cost(args, port: int, token: str, rule) -> None:
    from automation.models import Rule

    def create(index: int, n: int):
        body = json.dumps({"title": f"Cost {index}-{n}"}).encode()
        return (
            "POST",
            "/api/tickets",
            body,
            {"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )

    rates = {True: [], False: []}
    for _ in range(args.rounds):
        for enabled in (True, False):
            rule.enabled = enabled
            rule.save()  # announced through Redis: every gunicorn worker's next write knows
            Rule.objects.get(pk=rule.pk)
            time.sleep(0.5)
            phase = drive("create", create, port=port, expected={201}, threads=4, duration=args.seconds,
                          max_requests=1_000_000, warmup=5)  # fmt: skip
            if phase.errors:
                raise SystemExit(f"unexpected answers: {phase.unexpected[:3]}")
            rates[enabled].append(phase.rate)
    with_rule, without = statistics.median(rates[True]), statistics.median(rates[False])
    drop = (without - with_rule) / without
    verdict = "met" if drop <= COST_TARGET else "MISSED"
    print(f"  API creates a second, 4 clients, {args.rounds} rounds of {args.seconds:.0f} s (medians)")
    print(f"    with the notify rule     {with_rule:7.1f}   {spread(rates[True])}")
    print(f"    without it               {without:7.1f}   {spread(rates[False])}")
    print(f"    the rule costs           {drop * 100:6.1f} %   (target within 15 %: {verdict})")


def spread(values: list[float]) -> str:
    return f"[{min(values):.1f}-{max(values):.1f}]"


if __name__ == "__main__":
    raise SystemExit(main())
