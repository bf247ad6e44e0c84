"""Insight at scale: the anomaly endpoint, the scan, training, predictions and the rule backtest.

    python bench/insight.py                          # SQLite, 1,000,000 demo tickets over 30 days
    python bench/insight.py --tickets 100000 --database-url postgres://postgres@127.0.0.1:5432/postgres

In a database of its own (a SQLite file in a temp dir, or a scratch
PostgreSQL database named `triage_insight_bench`, dropped afterwards), it
seeds demo tickets, then measures, as medians of --rounds runs:

- `GET /api/insight/anomalies` (28 and 365 days) and `/dashboard/data`,
  served by gunicorn (2 workers, DEBUG off, loopback), one client;
- the hourly scan (`scan_for_anomalies`, the hourly profile recounted each time);
- `train_insight` (a child process: wall time and its peak memory) and
  which predictor won, with its hold-out figures;
- what `predicted_resolution` adds to one ticket's JSON (the serializer with
  and without the field, per ticket);
- the rule backtest over the last days holding 100,000 tickets, in process
  and as `POST /api/rules/backtest` (served, as above, over the whole days
  that hold about as many: the demo's volume grows a little each week).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.harness import drive, free_port, manage, server_env, start_server, stop_server  # noqa: E402

SCRATCH_DATABASE = "triage_insight_bench"
PORTS = range(8601, 8700)
BACKTEST_TICKETS = 100_000
# The rule both backtests replay (the API's JSON of the in-process RuleSpec).
BACKTEST_RULE = {
    "name": "Outages are high",
    "trigger": "create",
    "conditions": [{"field": "title", "operator": "contains", "value": "outage"}],
    "actions": [{"type": "set", "field": "priority", "value": "high"}],
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="Demo tickets (default 1,000,000).")
    parser.add_argument(
        "--database-url", help="A PostgreSQL server (a scratch database on it); default SQLite."
    )
    parser.add_argument("--rounds", type=int, default=5, help="Runs per in-process figure (default 5).")
    parser.add_argument("--duration", type=float, default=3.0, help="Seconds per served figure (default 3).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="triage-bench-insight-") as scratch:
        url, drop = scratch_database(args.database_url, scratch)
        try:
            env = server_env(url)
            manage(env, "migrate", "--no-input")
            began = time.perf_counter()
            manage(env, "seed_demo", "--tickets", str(args.tickets), "--days", "30", "--force")
            print(f"seeded {args.tickets:,} tickets in {time.perf_counter() - began:.0f} s", flush=True)
            figures = served(env, args, Path(scratch) / "gunicorn.log")
            os.environ.update(env)
            figures |= in_process(args)
            report(args, url, figures)
        finally:
            from django.db import connections

            connections.close_all()
            drop()
    return 0


def scratch_database(server_url: str | None, scratch: str):
    """A SQLite file in `scratch`, or SCRATCH_DATABASE on the PostgreSQL server; its URL, a drop function."""
    if not server_url:
        return f"sqlite:///{scratch}/insight.sqlite3", (lambda: None)
    import psycopg

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)')

    drop()
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{SCRATCH_DATABASE}")), drop


def served(env: dict, args, log_path: Path) -> dict:
    """p50 latency of the anomaly endpoint and the dashboard's JSON, one client, after a warm-up."""
    import re

    token = re.search(r"Generated token (\w+)", manage(env, "drf_create_token", "analyst")).group(1)
    headers = {"Authorization": f"Token {token}"}
    port = free_port(PORTS)
    server = start_server(env, port, 2, log_path)
    figures = {}
    try:
        for name, path in (
            ("anomalies_28", "/api/insight/anomalies"),
            ("anomalies_365", "/api/insight/anomalies?days=365"),
            ("dashboard_json", "/dashboard/data"),
            ("ticket_read", "/api/tickets?status=open&page_size=50"),
        ):
            phase = drive(
                name,
                lambda index, n, path=path: ("GET", path, None, headers),
                port=port,
                expected={200},
                threads=1,
                duration=args.duration,
                max_requests=2_000,
            )
            figures[name] = {
                "p50_ms": phase.percentile(0.5),
                "p90_ms": phase.percentile(0.9),
                "errors": phase.errors,
            }
        # The HTTP backtest: whole days only, about BACKTEST_TICKETS of the demo's 30 days.
        days = max(1, min(30, round(30 * BACKTEST_TICKETS / max(args.tickets, 1))))
        body = json.dumps({"rule": BACKTEST_RULE, "days": days}).encode()
        post_headers = {**headers, "Content-Type": "application/json"}
        phase = drive(
            "rule_backtest_http",
            lambda index, n: ("POST", "/api/rules/backtest", body, post_headers),
            port=port,
            expected={200},
            threads=1,
            duration=args.duration,
            max_requests=50,
            warmup=1,
        )
        figures["rule_backtest_http"] = {
            "p50_ms": phase.percentile(0.5),
            "p90_ms": phase.percentile(0.9),
            "errors": phase.errors,
            "days": days,
            "method": "POST",
        }
    finally:
        stop_server(server)
    return figures


def median_seconds(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def in_process(args) -> dict:
    import django

    django.setup()
    import datetime

    from django.core.cache import cache
    from django.utils import timezone

    from automation.backtest import backtest_rule
    from automation.engine import Action, Condition, RuleSpec
    from insight import predictions, training
    from insight.scan import scan_for_anomalies
    from tickets.api.serializers import TicketSerializer
    from tickets.extensions import TICKET_FIELDS
    from tickets.models import Ticket

    figures = {}

    def scan():
        cache.clear()  # the hourly profile is recounted, as at the first scan of an hour
        scan_for_anomalies(notify=lambda row: None)

    figures["scan_s"] = median_seconds(scan, args.rounds)

    began = time.perf_counter()
    report = training.train_in_child_process()
    figures["training"] = {
        "seconds": time.perf_counter() - began,
        "peak_mb": report.peak_mb,
        "examples": report.examples,
        "stored": report.stored,
        "comparison": report.comparison,
    }

    predictions.forget()
    open_tickets = list(Ticket.objects.exclude(status="closed").order_by("-id")[:500])
    serializer = TicketSerializer()
    predictions.predicted_resolution(open_tickets[0])  # the model is loaded once per process

    def render_all():
        for ticket in open_tickets:
            serializer.to_representation(ticket)

    with_field = median_seconds(render_all, args.rounds) / len(open_tickets)
    field = TICKET_FIELDS.pop("predicted_resolution")
    try:
        without_field = median_seconds(render_all, args.rounds) / len(open_tickets)
    finally:
        TICKET_FIELDS["predicted_resolution"] = field
    figures["prediction_us"] = {"with": with_field * 1e6, "without": without_field * 1e6}

    newest = list(
        Ticket.objects.order_by("-created_at").values_list("created_at", flat=True)[:BACKTEST_TICKETS]
    )
    now = timezone.now()
    days = max(1, (now - newest[-1]).days + 1) if newest else 1
    rule = RuleSpec(
        id=0,
        name="Outages are high",
        trigger="create",
        conditions=(Condition("title", "contains", "outage"),),
        actions=(Action("priority", "high"),),
    )
    result = {}

    def replay():
        result.update(backtest_rule(rule, days=days, now=now + datetime.timedelta(seconds=1)))

    figures["rule_backtest"] = {"seconds": median_seconds(replay, args.rounds), "days": days, **result}
    return figures


def report(args, url: str, figures: dict) -> None:
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    training_figures = figures["training"]
    backtest = figures["rule_backtest"]
    lines = [
        f"{backend}, {args.tickets:,} demo tickets over 30 days; medians of {args.rounds} runs",
        *(
            f"  {figure.get('method', 'GET')} {name}: "
            f"p50 {figure['p50_ms']:.1f} ms, p90 {figure['p90_ms']:.1f} ms, "
            f"errors {figure['errors']}" + (f" ({figure['days']} days)" if "days" in figure else "")
            for name, figure in figures.items()
            if isinstance(figure, dict) and "p50_ms" in figure
        ),
        f"  scan (profile recounted): {figures['scan_s'] * 1000:.0f} ms",
        f"  train_insight in a child process: {training_figures['seconds']:.1f} s, "
        f"peak {training_figures['peak_mb']:.0f} MB, {training_figures['examples']:,} closed tickets, "
        f"served: {training_figures['stored']}",
        f"  ticket JSON: {figures['prediction_us']['with']:.1f} µs with predicted_resolution, "
        f"{figures['prediction_us']['without']:.1f} µs without",
        f"  rule backtest: {backtest['examined']:,} tickets ({backtest['days']} days) in "
        f"{backtest['seconds']:.2f} s, {backtest['would_fire']:,} would fire",
    ]
    comparison = training_figures["comparison"]
    if comparison and comparison.get("model"):
        model, baseline = comparison["model"], comparison["baseline"]
        lines.append(
            f"  hold-out: p50 pinball {model['pinball_p50_hours']:.2f} h "
            f"(baseline {baseline['pinball_p50_hours']:.2f} h), "
            f"p90 pinball {model['pinball_p90_hours']:.2f} h "
            f"(baseline {baseline['pinball_p90_hours']:.2f} h), "
            f"p90 coverage {model['coverage_p90']:.1%}"
        )
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
