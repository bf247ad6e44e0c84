"""Alert storms against the served app: one large Alertmanager group, its repeats, and senders at once.

    python bench/alerts.py                     # SQLite
    python bench/alerts.py --database-url postgres://postgres@127.0.0.1:5432/postgres   # PostgreSQL

In a database of its own (a SQLite file in a temp dir, or a scratch
PostgreSQL database dropped afterwards), it migrates, makes Alertmanager
integrations with `create_integration --kind alertmanager`, serves the app
with gunicorn (bench.harness: two workers, DEBUG off, loopback) and posts
payloads shaped as Alertmanager's webhook_config documentation shows:

1. **A group of --group firing alerts in one POST** (target: under 2 s,
   that many tickets), --rounds times with new fingerprints.
2. **The same POST again** (target: under 1 s, nothing written): a replay;
   and **the same alerts in another body**, as a re-send after
   `repeat_interval` would be: read, compared, nothing written. "Nothing"
   is checked in the database: no ticket, audit, link or summary row, and
   no ticket's version moves.
3. **A storm**: --storm-alerts alerts across --storm-deliveries deliveries
   from --senders concurrent senders, each with its own connection:
   a) distinct alerts, each sender posting its share of the groups;
   b) Alertmanager replicas: every sender posts every group of a quarter
      of the alerts, in its own order and with its own body, so the same
      alerts race each other.
   Checked: no answer but 200 or 201, one ticket per alert, no external
   id twice, as many links as tickets.

Reports medians (and maxima) per step, the storms' wall time, throughput
and latency percentiles, and the checks; --out writes them as JSON too.
"""

import argparse
import copy
import http.client
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.harness import HOST, free_port, manage, postgres_database, server_env, start_server, stop_server  # noqa: E402
from bench.run import describe_machine, machine  # noqa: E402

PORTS = range(8601, 8700)
FIXTURE = ROOT / "intake" / "tests" / "fixtures" / "alertmanager-firing.json"
TARGETS = {"group_create_s": 2.0, "group_replay_s": 1.0, "group_repeat_s": 1.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="A PostgreSQL server (a scratch database on it); default SQLite."
    )
    parser.add_argument("--group", type=int, default=500, help="Alerts in the large group (default 500).")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of the group steps (default 5).")
    parser.add_argument(
        "--storm-alerts", type=int, default=10_000, help="Alerts in a storm (default 10,000)."
    )
    parser.add_argument(
        "--storm-deliveries", type=int, default=100, help="Deliveries in a storm (default 100)."
    )
    parser.add_argument("--senders", type=int, default=4, help="Concurrent senders in a storm (default 4).")
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here too.")
    args = parser.parse_args(argv)
    if min(args.group, args.rounds, args.storm_alerts, args.storm_deliveries, args.senders) < 1:
        parser.error("every count must be at least 1")
    if args.storm_deliveries % args.senders or args.storm_alerts % args.storm_deliveries:
        parser.error(
            "--storm-deliveries must divide among --senders, and --storm-alerts among the deliveries"
        )
    with tempfile.TemporaryDirectory(prefix="triage-bench-alerts-") as scratch:
        if args.database_url:
            url, drop = postgres_database(args.database_url, name="triage_wave2_alerts_bench")
            backend = "postgresql"
        else:
            url, drop, backend = f"sqlite:///{scratch}/alerts.sqlite3", (lambda: None), "sqlite"
        env = server_env(url)
        server = None
        try:
            manage(env, "migrate", "--no-input")
            tokens = {
                name: manage(env, "create_integration", name, "--kind", "alertmanager").split()[-1]
                for name in ("group", "storm-distinct", "storm-replicas")
            }
            port = free_port(PORTS)
            server = start_server(env, port, 2, Path(scratch) / "gunicorn.log")
            results = {"backend": backend, "machine": machine(args.database_url), "settings": vars_of(args)}
            results["group"] = group_steps(port, tokens["group"], url, args)
            results["storm_distinct"] = storm(
                port, tokens["storm-distinct"], "storm-distinct", url, args, False
            )
            results["storm_replicas"] = storm(
                port, tokens["storm-replicas"], "storm-replicas", url, args, True
            )
        finally:
            if server is not None:
                stop_server(server)
            drop()
    print(report(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    failed = [
        check for part in results.values() if isinstance(part, dict) for check in part.get("failed", [])
    ]
    return 1 if failed else 0


def vars_of(args) -> dict:
    return {
        "group": args.group,
        "rounds": args.rounds,
        "storm_alerts": args.storm_alerts,
        "storm_deliveries": args.storm_deliveries,
        "senders": args.senders,
        "gunicorn_workers": 2,
    }


# --- Payloads -----------------------------------------------------------------------------------------


def alert_group(fingerprints: list[str], *, receiver: str = "triage", status: str = "firing") -> bytes:
    """A webhook_config payload (version 4) holding one alert per fingerprint."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))["payload"]
    model = document["alerts"][0]
    alerts = []
    for fingerprint in fingerprints:
        alert = copy.deepcopy(model)
        alert["fingerprint"] = fingerprint
        alert["labels"]["instance"] = f"{fingerprint}:9100"
        alert["annotations"]["summary"] = f"Disk almost full on {fingerprint}"
        alert["status"] = status
        alerts.append(alert)
    document.update(alerts=alerts, status=status, receiver=receiver)
    return json.dumps(document).encode()


def post(
    connection: http.client.HTTPConnection, name: str, token: str, body: bytes
) -> tuple[int, dict, float]:
    """POST a group to /webhook/alertmanager/<name>; (status, answer, seconds)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    began = time.perf_counter()
    connection.request("POST", f"/webhook/alertmanager/{name}", body, headers)
    response = connection.getresponse()
    content = response.read()
    seconds = time.perf_counter() - began
    try:
        answer = json.loads(content)
    except ValueError:
        answer = {"raw": content[:200].decode("utf-8", "replace")}
    return response.status, answer, seconds


# --- The database, read from outside the server -------------------------------------------------------

COUNTS = {
    "tickets": "SELECT COUNT(*) FROM tickets",
    "ticket_versions": "SELECT COALESCE(SUM(version), 0) FROM tickets",
    "audit_events": "SELECT COUNT(*) FROM ticket_events",
    "links": "SELECT COUNT(*) FROM intake_external_tickets",
    "summary_rows": "SELECT COUNT(*) FROM dashboard_ticket_counts",
    "duplicate_external_ids": (
        "SELECT COUNT(*) FROM (SELECT external_id FROM tickets WHERE external_id <> '' "
        "GROUP BY external_id HAVING COUNT(*) > 1) AS twice"
    ),
}


def counts(url: str) -> dict[str, int]:
    """The rows a delivery could write, counted with a connection of our own."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as connection:
            return {name: connection.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    import psycopg

    with psycopg.connect(url) as connection:
        return {name: connection.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


# --- 1 and 2: one large group, then its repeats ---------------------------------------------------------


def group_steps(port: int, token: str, url: str, args) -> dict:
    """Per round: a new group of firing alerts, the same POST again, the same alerts in another body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    post(connection, "group", token, alert_group(["warm-up"]))  # the worker's first request
    create, replay, repeat, problems = [], [], [], []
    written = 0
    for round_number in range(args.rounds):
        fingerprints = [f"r{round_number}-{n:06d}" for n in range(args.group)]
        body = alert_group(fingerprints)
        status, answer, seconds = post(connection, "group", token, body)
        create.append(seconds)
        if status != 201 or len(answer.get("created", [])) != args.group:
            problems.append(
                f"round {round_number}: the group answered {status}, {len(answer.get('created', []))} created"
            )
        before = counts(url)
        status, answer, seconds = post(connection, "group", token, body)
        replay.append(seconds)
        if status != 200 or answer.get("created") or answer.get("updated"):
            problems.append(f"round {round_number}: the same POST answered {status} {str(answer)[:100]}")
        status, answer, seconds = post(
            connection, "group", token, alert_group(fingerprints, receiver="resent")
        )
        repeat.append(seconds)
        if status != 200 or len(answer.get("unchanged", [])) != args.group:
            problems.append(f"round {round_number}: the re-sent group answered {status}")
        after = counts(url)
        written += sum(abs(after[name] - before[name]) for name in before)
        if after != before:
            problems.append(f"round {round_number}: a repeat wrote rows: {before} -> {after}")
    connection.close()
    figures = {
        "alerts": args.group,
        "group_create_s": statistics.median(create),
        "group_create_max_s": max(create),
        "group_replay_s": statistics.median(replay),
        "group_replay_max_s": max(replay),
        "group_repeat_s": statistics.median(repeat),
        "group_repeat_max_s": max(repeat),
        "rows_written_by_repeats": written,
    }
    for figure, limit in TARGETS.items():
        if figures[figure.replace("_s", "_max_s")] >= limit:
            problems.append(
                f"{figure}: {figures[figure.replace('_s', '_max_s')]:.2f} s is not under {limit} s"
            )
    figures["failed"] = problems
    return figures


# --- 3: storms -----------------------------------------------------------------------------------------


def storm(port: int, token: str, name: str, url: str, args, replicas: bool) -> dict:
    """Deliveries from concurrent senders; distinct alerts, or every group from every sender (replicas)."""
    per_delivery = args.storm_alerts // args.storm_deliveries
    if replicas:
        # Every sender posts every group: the deliveries carry storm_alerts alerts, senders x fewer distinct.
        groups = args.storm_deliveries // args.senders
        fingerprints = [[f"{name}-{g:04d}-{n:04d}" for n in range(per_delivery)] for g in range(groups)]
        plans = []
        for sender in range(args.senders):
            order = list(range(groups))
            random.Random(sender).shuffle(order)
            plans.append(
                [alert_group(_shuffled(fingerprints[g], sender), receiver=f"replica-{sender}") for g in order]
            )
        distinct = groups * per_delivery
    else:
        fingerprints = [
            [f"{name}-{g:04d}-{n:04d}" for n in range(per_delivery)] for g in range(args.storm_deliveries)
        ]
        plans = [
            [alert_group(group) for group in fingerprints[sender :: args.senders]]
            for sender in range(args.senders)
        ]
        distinct = args.storm_alerts
    before = counts(url)
    statuses: list[int] = []
    latencies: list[float] = []
    created: list[int] = []
    lock = threading.Lock()
    ready = threading.Barrier(args.senders + 1)

    def sender(plan: list[bytes]) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=300)
        ready.wait()
        for body in plan:
            status, answer, seconds = post(connection, name, token, body)
            with lock:
                statuses.append(status)
                latencies.append(seconds)
                created.extend(answer.get("created", []))
        connection.close()

    threads = [threading.Thread(target=sender, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    after = counts(url)
    new_tickets = after["tickets"] - before["tickets"]
    problems = []
    unexpected = sorted({status for status in statuses if status not in (200, 201)})
    if unexpected:
        problems.append(f"answers other than 200/201: {unexpected}")
    if new_tickets != distinct or len(created) != distinct or len(set(created)) != distinct:
        problems.append(f"{new_tickets} tickets ({len(created)} reported created) for {distinct} alerts")
    if after["duplicate_external_ids"]:
        problems.append(f"{after['duplicate_external_ids']} external ids have more than one ticket")
    if after["links"] - before["links"] != new_tickets:
        problems.append("links and tickets differ")
    latencies.sort()
    return {
        "deliveries": len(statuses),
        "alerts_sent": sum(len(plan) for plan in plans) * per_delivery,
        "distinct_alerts": distinct,
        "tickets_created": new_tickets,
        "duplicate_tickets": after["duplicate_external_ids"],
        "non_2xx": len([status for status in statuses if status not in (200, 201)]),
        "wall_s": wall,
        "deliveries_per_s": len(statuses) / wall,
        "alerts_per_s": sum(len(plan) for plan in plans) * per_delivery / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
        "failed": problems,
    }


def _shuffled(items: list[str], seed: int) -> list[str]:
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# --- Report --------------------------------------------------------------------------------------------


def report(results: dict) -> str:
    group, distinct, replicas = results["group"], results["storm_distinct"], results["storm_replicas"]
    lines = [
        describe_machine(results["machine"]),
        f"alert sources on {results['backend']}, gunicorn with 2 workers "
        f"(medians of {results['settings']['rounds']} rounds, max in brackets)",
        f"  a group of {group['alerts']} firing alerts, one POST:  "
        f"{group['group_create_s']:.3f} s ({group['group_create_max_s']:.3f})  target < 2 s",
        f"  the same POST again (replay):            "
        f"{group['group_replay_s']:.3f} s ({group['group_replay_max_s']:.3f})  target < 1 s",
        f"  the same alerts in another body:         "
        f"{group['group_repeat_s']:.3f} s ({group['group_repeat_max_s']:.3f})  target < 1 s",
        f"  rows written by the repeats:             {group['rows_written_by_repeats']}",
    ]
    if group["failed"]:
        lines.append("  FAILED: " + "; ".join(group["failed"]))
    senders = results["settings"]["senders"]
    for label, part in (("distinct alerts", distinct), ("replicas racing", replicas)):
        lines.append(
            f"  storm, {label}: {part['alerts_sent']:,} alerts in {part['deliveries']} deliveries from "
            f"{senders} senders: {part['wall_s']:.1f} s, {part['alerts_per_s']:,.0f} alerts/s, "
            f"p50 {part['p50_ms']:.0f} ms, p95 {part['p95_ms']:.0f} ms; {part['tickets_created']:,} tickets "
            f"for {part['distinct_alerts']:,} alerts, {part['duplicate_tickets']} duplicates, "
            f"{part['non_2xx']} answers not 200/201"
        )
        if part["failed"]:
            lines.append("  FAILED: " + "; ".join(part["failed"]))
    return "\n".join(lines)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
