"""Load is held: a bounded, mixed load through gunicorn, then retry storms that must not duplicate.

    python -m bench.load                          # SQLite: 5,000 tickets, 20 s of mixed load
    python -m bench.load --postgres postgres://postgres@127.0.0.1:5432/postgres
    python -m bench.load --duration 60 --threads 8

For each database it builds a fresh one (as `bench.api` does: a SQLite file
in a temp dir, or a throwaway PostgreSQL database), migrates and seeds it,
starts gunicorn with two workers on a loopback port (8401-8499), DEBUG off
and throttles off, and then:

1. **Mixed load** for a fixed time from several client threads: reads (the
   list, a filtered list, one ticket, its history), creates, updates
   (PATCH) and signed webhook deliveries, in fixed proportions. Reported
   per kind: requests, errors (any status but the expected one; goal 0),
   p50 and p95 latency.
2. **Retry storms**: the same signed webhook delivery (same webhook-id,
   timestamp, signature and body) sent by every client thread at once, for
   several rounds; and the same for `POST /api/tickets` with one
   `Idempotency-Key`. Each round must answer one 201 and otherwise 200
   (webhook) or 201 replays, all naming one ticket, and exactly one ticket
   with the round's title must exist afterwards.

It exits 1 when a request failed or a storm made a duplicate.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from automation.signatures import sign
from bench.harness import (
    HOST,
    Phase,
    drive_mix,
    free_port,
    manage,
    postgres_database,
    server_env,
    start_server,
    stop_server,
)

PORT_RANGE = range(8401, 8500)
# Kind of request: (share of the mix, statuses that count as success).
MIX = {
    "list": (25, {200}),
    "list, filtered": (10, {200}),
    "read one": (15, {200}),
    "history": (5, {200}),
    "create": (20, {201}),
    "update": (15, {200}),
    "webhook": (10, {201}),
}
PRIORITIES = ("low", "medium", "medium", "high")
STATUSES = ("open", "closed")


class Client:
    """What the clients need to know about the served database: where, who, which tickets."""

    def __init__(self, port: int, token: str, secret: str):
        self.port = port
        self.auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.secret = secret
        self.run_id = secrets.token_hex(4)
        # The seeded tickets that reads and updates pick from (up to 500 of them).
        self.ticket_ids = [ticket["id"] for ticket in self.get("/api/tickets?page_size=500")["results"]]

    def get(self, path: str) -> dict:
        """GET `path` as the benchmark's user; the JSON answer."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        connection.request("GET", path, headers=self.auth)
        answer = json.loads(connection.getresponse().read())
        connection.close()
        return answer

    def request(self, kind: str, index: int, n: int) -> tuple[str, str, str, bytes | None, dict]:
        """Request n of client thread `index`, of the given kind."""
        pick = random.Random(f"{index}-{n}")
        ticket_id = pick.choice(self.ticket_ids)
        if kind == "list":
            return kind, "GET", "/api/tickets", None, self.auth
        if kind == "list, filtered":
            return kind, "GET", "/api/tickets?status=open&priority=high&ordering=-updated_at", None, self.auth
        if kind == "read one":
            return kind, "GET", f"/api/tickets/{ticket_id}", None, self.auth
        if kind == "history":
            return kind, "GET", f"/api/tickets/{ticket_id}/history", None, self.auth
        if kind == "create":
            body = {"title": f"Load {index}-{n}", "priority": pick.choice(PRIORITIES), "description": "load"}
            return kind, "POST", "/api/tickets", json.dumps(body).encode(), self.auth
        if kind == "update":
            # Status and description only: the business rule cannot refuse them on any ticket
            # (closing is always allowed, reopening too).
            body = {"status": pick.choice(STATUSES), "description": f"touched by {index}-{n}"}
            return kind, "PATCH", f"/api/tickets/{ticket_id}", json.dumps(body).encode(), self.auth
        if kind == "webhook":
            payload = {"title": f"Alert {index}-{n}", "priority": pick.choice(PRIORITIES)}
            return (kind, *self.delivery(f"load-{self.run_id}-{index}-{n}", payload))
        raise ValueError(kind)

    def delivery(self, webhook_id: str, payload: dict) -> tuple[str, str, bytes, dict]:
        """A signed webhook delivery: (method, path, body, headers)."""
        body = json.dumps(payload).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, webhook_id, timestamp, body),
        }
        return "POST", "/webhook/ticket", body, headers

    def mixed(self, index: int, n: int):
        """Request n of thread `index`, its kind drawn with the weights of MIX (the same every run)."""
        kinds, weights = zip(*((kind, share) for kind, (share, _) in MIX.items()), strict=True)
        kind = random.Random(f"kind-{index}-{n}").choices(kinds, weights)[0]
        return self.request(kind, index, n)

    def count(self, title: str) -> int:
        """How many tickets have exactly this title (through the API's search)."""
        results = self.get(f"/api/tickets?search={quote(title)}&page_size=500")["results"]
        return sum(1 for ticket in results if ticket["title"] == title)


def storm(client: Client, name: str, make, copies: int, *, first: int, repeat: int) -> dict:
    """Send `copies` identical requests at once; their statuses, the ticket ids they name, and the count."""
    method, path, body, headers = make()
    statuses, ticket_ids = Counter(), set()
    lock, ready = threading.Lock(), threading.Barrier(copies)
    title = json.loads(body)["title"]

    def send() -> None:
        connection = http.client.HTTPConnection(HOST, client.port, timeout=60)
        connection.connect()
        ready.wait()
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        with lock:
            statuses[response.status] += 1
            ticket_ids.add(answer.get("id"))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = client.count(title)
    ok = (
        statuses.get(first, 0) >= 1
        and set(statuses) <= {first, repeat}
        and len(ticket_ids) == 1
        and made == 1
    )
    return {"name": name, "statuses": dict(statuses), "ids": ticket_ids, "made": made, "ok": ok}


def storms(client: Client, copies: int, rounds: int) -> list[dict]:
    """Rounds of identical webhook deliveries and of identical keyed creates."""
    results = []
    for round_number in range(rounds):
        tag = f"{client.run_id}-{round_number}"
        webhook_id = f"storm-{tag}"
        payload = {"title": f"Storm {tag}", "priority": "high", "external_id": webhook_id}
        delivery = client.delivery(webhook_id, payload)  # signed once: every copy is the same bytes
        results.append(
            storm(client, "webhook retry storm", lambda d=delivery: d, copies, first=201, repeat=200)
        )
        headers = {**client.auth, "Idempotency-Key": str(uuid.uuid4())}
        body = json.dumps({"title": f"Keyed {tag}", "priority": "low"}).encode()
        keyed = ("POST", "/api/tickets", body, headers)
        results.append(
            storm(client, "idempotent create storm", lambda k=keyed: k, copies, first=201, repeat=201)
        )
    return results


def run(label: str, database_url: str, args, workdir: Path) -> tuple[dict[str, Phase], list[dict]]:
    """Build, seed and serve one database; the mixed load's phases and the storms' outcomes."""
    env = server_env(database_url)
    manage(env, "migrate", "--no-input")
    print(f"== {label}: seeding {args.tickets:,} tickets", flush=True)
    manage(env, "seed_demo", "--tickets", str(args.tickets), "--force", "--seed", "1")
    token = re.search(r"Generated token (\w+)", manage(env, "drf_create_token", "analyst")).group(1)
    secret = manage(env, "create_integration", "load-monitoring").strip()
    port = free_port(PORT_RANGE)
    server = start_server(env, port, args.workers, workdir / f"gunicorn-{label}.log")
    client = Client(port, token, secret)
    try:
        print(f"== {label}: {args.duration:g} s of mixed load from {args.threads} threads", flush=True)
        phases = drive_mix(
            client.mixed,
            expected={kind: statuses for kind, (_, statuses) in MIX.items()},
            port=port,
            threads=args.threads,
            duration=args.duration,
            max_requests=args.max_requests,
            warmup=args.warmup,
        )
        outcomes = storms(client, args.storm, args.rounds)
    finally:
        stop_server(server)
    return phases, outcomes


def report(label: str, phases: dict[str, Phase], outcomes: list[dict], args) -> None:
    seconds = next(iter(phases.values())).seconds
    total = sum(len(phase.latencies) for phase in phases.values())
    errors = sum(phase.errors for phase in phases.values())
    print(f"\n{label}: {args.tickets:,} seeded tickets, gunicorn {args.workers} workers, "
          f"{args.threads} client threads, {seconds:.1f} s")  # fmt: skip
    print(f"  {'kind':<16}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for phase in phases.values():
        print(
            f"  {phase.name:<16}{len(phase.latencies):>9}{phase.rate:>9.1f}"
            f"{phase.percentile(0.5):>9.1f}{phase.percentile(0.95):>9.1f}{phase.errors:>8}"
        )
        for problem in phase.unexpected[:5]:
            print(f"    unexpected: {problem}")
    print(f"  {'all':<16}{total:>9}{total / seconds if seconds else 0:>9.1f}{'':>18}{errors:>8}")
    for outcome in outcomes:
        statuses = ", ".join(f"{code} x{count}" for code, count in sorted(outcome["statuses"].items()))
        verdict = "ok" if outcome["ok"] else "DUPLICATE OR ERROR"
        print(
            f"  {outcome['name']}: {sum(outcome['statuses'].values())} copies at once -> {statuses}; "
            f"tickets made: {outcome['made']} ({verdict})"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5_000, help="Tickets to seed (default 5,000).")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds of mixed load (default 20).")
    parser.add_argument("--threads", type=int, default=4, help="Client threads (default 4).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="Cap on requests (default 100,000)."
    )
    parser.add_argument("--warmup", type=int, default=5, help="Unmeasured requests per thread first.")
    parser.add_argument("--storm", type=int, default=16, help="Identical requests at once per storm.")
    parser.add_argument("--rounds", type=int, default=3, help="Storm rounds of each kind (default 3).")
    parser.add_argument("--postgres", metavar="URL", help="Also run on PostgreSQL (a temporary database).")
    parser.add_argument("--no-sqlite", action="store_true", help="Only PostgreSQL.")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="triage-load-") as tmp:
        workdir = Path(tmp)
        if not args.no_sqlite:
            results.append(("SQLite", *run("SQLite", f"sqlite:///{workdir / 'load.sqlite3'}", args, workdir)))
        if args.postgres:
            url, drop = postgres_database(args.postgres)
            try:
                results.append(("PostgreSQL", *run("PostgreSQL", url, args, workdir)))
            finally:
                drop()
    for label, phases, outcomes in results:
        report(label, phases, outcomes, args)
    print(f"\n(one run; machine: {os.cpu_count()} cores, shared)")
    failed = any(phase.errors for _, phases, _ in results for phase in phases.values()) or not all(
        outcome["ok"] for _, _, outcomes in results for outcome in outcomes
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
