"""The whole product, measured in one run at growing ticket counts, on SQLite and PostgreSQL.

    python bench/run.py                                   # SQLite, 1k and 10k tickets (a few minutes)
    python bench/run.py --database-url postgres://postgres@127.0.0.1:5432/postgres   # and PostgreSQL
    python bench/run.py --full --database-url ...         # 1k, 10k, 100k and 1M: docs/benchmarks/
    make bench                                            # the short run: bench/results/last-run/

For every backend and ticket count it builds a database of its own (a SQLite
file in a temp dir, or a scratch database on the PostgreSQL server, dropped
afterwards; never yours), migrates, seeds it with `seed_demo` (wall time and
peak memory), times `run_regression`, times the naive dashboard aggregates
in SQL, then serves the app with gunicorn (two workers, DEBUG off, loopback)
and drives it with a bounded load generator (fixed time per round, request
budget, stops by itself). Each served figure is measured in --rounds rounds
after a warm-up; the median of the rounds is reported with their min-max.

Every figure comes with its ceiling from the same run: served latencies and
rates against a bare DRF view on the same server, dashboard times against the
naive aggregate queries. Ratios survive the machine's noise; absolute times do
not. Results go to --out as results.json, results.md and latency.png.
"""

import argparse
import datetime
import itertools
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder would come first on sys.path and shadow the `dashboard` app.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from automation.signatures import sign  # noqa: E402
from bench.dashboard import Browser, time_naive  # noqa: E402
from bench.harness import (  # noqa: E402
    HOST,
    Phase,
    drive,
    free_port,
    manage,
    postgres_database,
    server_env,
    start_server,
    stop_server,
)

PORTS = range(8501, 8600)
SHORT_SIZES = (1_000, 10_000)
FULL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
FILTER = "status=open&status=in_progress&priority=medium&priority=high"
TARGETS = [
    # (figure, test on the 1M row, words)
    ("dashboard_json", lambda f: f["p50"] < 50, "dashboard JSON p50 < 50 ms"),
    ("dashboard_html", lambda f: f["p50"] < 50, "dashboard HTML p50 < 50 ms"),
    ("api_list", lambda f: f["p50"] < 30, "API list page 1 p50 < 30 ms"),
    ("api_create", lambda f: f["share_of_ceiling"] >= 0.10, "creates >= 10% of the bare view's rate"),
    ("webhook", lambda f: f["share_of_ceiling"] >= 0.10, "deliveries >= 10% of the bare view's rate"),
    ("run_regression", lambda f: f["median_s"] < 2, "run_regression < 2 s"),
    ("seed", lambda f: f["seconds"] < 60 and f["peak_mb"] < 300, "seed_demo < 60 s and < 300 MB"),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="Comma-separated ticket counts (default 1000,10000).")
    parser.add_argument("--full", action="store_true", help="1k, 10k, 100k and 1M tickets.")
    parser.add_argument("--database-url", help="A PostgreSQL server to measure too (scratch databases).")
    parser.add_argument("--no-sqlite", action="store_true", help="Measure PostgreSQL only.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per served figure (default 3).")
    parser.add_argument("--duration", type=float, default=2.0, help="Seconds per round (default 2).")
    parser.add_argument("--max-requests", type=int, default=20_000, help="Request budget per round.")
    parser.add_argument("--clients", type=int, default=4, help="Client threads for rates (default 4).")
    parser.add_argument(
        "--out",
        type=Path,
        help="Where results go (default: docs/benchmarks/ with --full, else bench/results/last-run/).",
    )
    parser.add_argument("--naive", help=argparse.SUPPRESS)  # internal: time the naive queries here
    args = parser.parse_args(argv)
    if args.naive is not None:
        return print_naive(args.naive, args.rounds)
    sizes = FULL_SIZES if args.full else tuple(int(n) for n in (args.sizes or "1000,10000").split(","))
    # A short run never replaces the published full results.
    out = args.out or (ROOT / "docs" / "benchmarks" if args.full else ROOT / "bench" / "results" / "last-run")
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.database_url else [])
    results = {"machine": machine(args.database_url), "settings": vars_of(args, sizes), "rows": []}
    print(describe_machine(results["machine"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as scratch:
        for backend in backends:
            for size in sizes:
                print(f"== {backend}, {size:,} tickets", flush=True)
                results["rows"].append(measure(backend, size, args, Path(scratch)))
                write_results(results, out)
    print(markdown(results))
    return 0


def vars_of(args, sizes) -> dict:
    return {
        "sizes": list(sizes),
        "rounds": args.rounds,
        "seconds_per_round": args.duration,
        "clients_for_rates": args.clients,
        "gunicorn_workers": 2,
    }


# --- One backend at one size ------------------------------------------------------------------------


def measure(backend: str, size: int, args, scratch: Path) -> dict:
    """Build, seed, time and serve one database; its row of results."""
    if backend == "sqlite":
        path = scratch / f"bench-{size}.sqlite3"
        url = f"sqlite:///{path}"

        def drop():
            for leftover in scratch.glob(f"bench-{size}.sqlite3*"):
                leftover.unlink()

    else:
        url, drop = postgres_database(args.database_url)
    env = server_env(url, DJANGO_STATIC_ROOT=str(scratch / "static"))
    try:
        manage(env, "migrate", "--no-input")
        manage(env, "collectstatic", "--no-input")  # production pages need the hashed file names
        row = {"backend": backend, "tickets": size, "seed": seed(env, size)}
        row["run_regression"] = regression(env, args.rounds)
        row["naive"] = naive(env, args.rounds)
        row.update(served(env, args, scratch / f"gunicorn-{backend}-{size}.log"))
        row["dashboard_json"]["naive_ratio"] = row["naive"]["unfiltered_ms"] / row["dashboard_json"]["p50"]
        row["dashboard_json_filtered"]["naive_ratio"] = (
            row["naive"]["filtered_ms"] / row["dashboard_json_filtered"]["p50"]
        )
        return row
    finally:
        drop()


def seed(env: dict, size: int) -> dict:
    began = time.perf_counter()
    out = manage(env, "seed_demo", "--tickets", str(size), "--force", "--seed", "1")
    seconds = time.perf_counter() - began
    peak = re.search(r"peak memory (\d+) MB", out)
    return {"seconds": seconds, "peak_mb": int(peak.group(1)) if peak else None}


def regression(env: dict, rounds: int) -> dict:
    """Wall time of the whole command (start-up included) and of its checks alone."""
    walls, checks = [], []
    log_dir = tempfile.mkdtemp(prefix="triage-bench-logs-")
    for _ in range(rounds):
        began = time.perf_counter()
        result = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "run_regression", "--format", "json", "--log-dir", log_dir],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        walls.append(time.perf_counter() - began)
        if result.returncode == 2:
            raise SystemExit(f"run_regression could not run:\n{result.stdout}\n{result.stderr}")
        document = json.loads(result.stdout)
        checks.append(sum(check["duration_ms"] for check in document["checks"]) / 1000)
    return {"median_s": statistics.median(walls), "checks_median_s": statistics.median(checks), "runs": walls}


def naive(env: dict, rounds: int) -> dict:
    """The naive dashboard's five aggregate queries over tickets, timed in a process of their own."""
    timed = {}
    for name, query in (("unfiltered_ms", ""), ("filtered_ms", FILTER)):
        out = subprocess.run(  # noqa: S603 - this script
            [sys.executable, __file__, "--naive", query, "--rounds", str(max(rounds, 3))],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        timed[name] = json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]
    return timed


def print_naive(query: str, rounds: int) -> int:
    import django

    django.setup()
    print(json.dumps({"median_ms": time_naive(query, rounds)}))
    return 0


# --- Served figures ---------------------------------------------------------------------------------


def served(env: dict, args, log_path: Path) -> dict:
    """Every served figure, against the bare view's latency and rate on the same server."""
    token = re.search(r"Generated token (\w+)", manage(env, "drf_create_token", "analyst")).group(1)
    secret = manage(env, "create_integration", "bench-run").strip()
    port = free_port(PORTS)
    server = start_server(env, port, 2, log_path)
    try:
        browser = Browser(f"http://{HOST}:{port}")
        browser.log_in()
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
        api = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        ticket_id = first_ticket_id(port, api)
        run_id = secrets.token_hex(4)

        def get(path, headers):
            return lambda index, n: ("GET", path, None, headers)

        def create(index, n):
            body = json.dumps({"title": f"Bench {run_id} {index}-{n}", "priority": "medium"}).encode()
            return "POST", "/api/tickets", body, api

        fresh = itertools.count()  # webhook-ids never repeat, across rounds and warm-ups

        def deliver(index, n):
            webhook_id, stamp = f"bench-{run_id}-{next(fresh)}", int(time.time())
            body = json.dumps({"title": f"Alert {index}-{n}", "priority": "high"}).encode()
            headers = {
                "Content-Type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign(secret, webhook_id, stamp, body),
            }
            return "POST", "/webhook/ticket", body, headers

        latency = {"threads": 1}
        rate = {"threads": args.clients}
        plan = {
            "ceiling_latency": (get("/bench/bare", {}), {200}, latency),
            "ceiling_rate": (get("/bench/bare", {}), {200}, rate),
            "dashboard_html": (get("/dashboard/", {"Cookie": cookie}), {200}, latency),
            "dashboard_html_filtered": (get(f"/dashboard/?{FILTER}", {"Cookie": cookie}), {200}, latency),
            "dashboard_json": (get("/dashboard/data", api), {200}, latency),
            "dashboard_json_filtered": (get(f"/dashboard/data?{FILTER}", api), {200}, latency),
            "api_list": (get("/api/tickets", api), {200}, latency),
            "api_list_filtered": (get(f"/api/tickets?{FILTER}", api), {200}, latency),
            "api_retrieve": (get(f"/api/tickets/{ticket_id}", api), {200}, latency),
            "api_create": (create, {201}, rate),
            "webhook": (deliver, {201}, rate),
        }
        figures = {
            name: rounds(name, make, expected, port, args, **load)
            for name, (make, expected, load) in plan.items()
        }
    finally:
        stop_server(server)
    ceiling_p50, ceiling_rate = figures["ceiling_latency"]["p50"], figures["ceiling_rate"]["rate"]
    for figure in figures.values():
        figure["p50_over_ceiling"] = figure["p50"] / ceiling_p50
        figure["share_of_ceiling"] = figure["rate"] / ceiling_rate
    return figures


def first_ticket_id(port: int, headers: dict) -> int:
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/api/tickets?page_size=1", headers=headers)
    return json.loads(connection.getresponse().read())["results"][0]["id"]


def rounds(name: str, make, expected: set[int], port: int, args, *, threads: int) -> dict:
    """Run `rounds` rounds of one figure; medians across rounds, with their min-max."""
    phases: list[Phase] = [
        drive(name, make, port=port, expected=expected, threads=threads,
              duration=args.duration, max_requests=args.max_requests, warmup=10 if i == 0 else 2)
        for i in range(args.rounds)
    ]  # fmt: skip
    errors = sum(phase.errors for phase in phases)
    if errors:
        print(f"   {name}: {errors} unexpected answers, e.g. {phases[0].unexpected[:2]}", flush=True)
    p50s = [phase.percentile(0.5) for phase in phases]
    return {
        "p50": statistics.median(p50s),
        "p50_min": min(p50s),
        "p50_max": max(p50s),
        "p95": statistics.median(phase.percentile(0.95) for phase in phases),
        "rate": statistics.median(phase.rate for phase in phases),
        "requests": sum(len(phase.latencies) for phase in phases),
        "errors": errors,
        "clients": threads,
    }


# --- The machine and the report -----------------------------------------------------------------------


def machine(database_url: str | None) -> dict:
    import sqlite3

    found = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": os.getloadavg()[0],
    }
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as connection:
            found["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return found


def describe_machine(found: dict) -> str:
    parts = [f"{found['cores']} cores", f"Python {found['python']}", f"SQLite {found['sqlite']}"]
    if "postgresql" in found:
        parts.append(f"PostgreSQL {found['postgresql']}")
    where = f"{found['platform']}, load {found['load_average']:.1f}"
    return f"{found['date']}: " + ", ".join(parts) + f" ({where})"


def markdown(results: dict) -> str:
    """The results as Markdown tables: one per backend, a column per ticket count, ratios beside figures."""
    lines = [f"Machine: {describe_machine(results['machine'])}.", ""]
    settings = results["settings"]
    lines.append(
        f"gunicorn {settings['gunicorn_workers']} workers on loopback; {settings['rounds']} rounds of "
        f"{settings['seconds_per_round']:g} s per served figure after a warm-up; latencies with one client, "
        f"rates with {settings['clients_for_rates']}; medians of the rounds, [min-max of the round medians]."
    )
    for backend in dict.fromkeys(row["backend"] for row in results["rows"]):
        rows = [row for row in results["rows"] if row["backend"] == backend]
        counts = " | ".join(f"{row['tickets']:,}" for row in rows)
        lines += ["", f"### {backend}", "", f"| figure | {counts} |"]
        lines.append("|---|" + "---|" * len(rows))
        for label, cell in table_lines():
            lines.append(f"| {label} | " + " | ".join(cell(row) for row in rows) + " |")
        lines += ["", *verdicts(rows)]
    return "\n".join(lines) + "\n"


def served_cell(name: str, versus: str, *, with_rate: bool = False):
    def cell(row: dict) -> str:
        figure = row[name]
        spread = f"[{figure['p50_min']:.1f}-{figure['p50_max']:.1f}]"
        text = f"{figure['p50']:.1f} ms (p95 {figure['p95']:.1f}) {spread}"
        if with_rate:
            text += f", {figure['rate']:.0f}/s one client"
        if versus == "naive" and "naive_ratio" in figure:
            ratio = figure["naive_ratio"]
            text += f", {ratio:.1f}x faster than naive" if ratio >= 1 else f", naive {1 / ratio:.1f}x faster"
        elif versus == "ceiling":
            text += f", {figure['p50_over_ceiling']:.1f}x bare"
        return text

    return cell


def rate_cell(name: str):
    def cell(row: dict) -> str:
        figure = row[name]
        share = f"{figure['share_of_ceiling']:.0%} of bare"
        return f"{figure['rate']:.0f}/s ({share}), p50 {figure['p50']:.1f} ms, p95 {figure['p95']:.1f} ms"

    return cell


def table_lines():
    return [
        ("dashboard HTML", served_cell("dashboard_html", "ceiling")),
        ("dashboard HTML, filtered", served_cell("dashboard_html_filtered", "ceiling")),
        ("dashboard JSON", served_cell("dashboard_json", "naive")),
        ("dashboard JSON, filtered", served_cell("dashboard_json_filtered", "naive")),
        ("naive aggregates (SQL), unfiltered / filtered",
         lambda r: f"{r['naive']['unfiltered_ms']:.1f} / {r['naive']['filtered_ms']:.1f} ms"),
        ("API list, page 1", served_cell("api_list", "ceiling", with_rate=True)),
        ("API list, filtered", served_cell("api_list_filtered", "ceiling", with_rate=True)),
        ("API retrieve", served_cell("api_retrieve", "ceiling", with_rate=True)),
        ("API create", rate_cell("api_create")),
        ("webhook delivery", rate_cell("webhook")),
        ("bare DRF view (ceiling)",
         lambda r: f"{r['ceiling_rate']['rate']:.0f}/s, p50 {r['ceiling_latency']['p50']:.1f} ms"),
        ("run_regression (command / checks)",
         lambda r: f"{r['run_regression']['median_s']:.2f} / {r['run_regression']['checks_median_s']:.2f} s"),
        ("seed_demo (wall, peak memory)",
         lambda r: f"{r['seed']['seconds']:.1f} s, {r['seed']['peak_mb']} MB"),
        ("errors (all served figures)",
         lambda r: str(sum(v["errors"] for v in r.values() if isinstance(v, dict) and "errors" in v))),
    ]  # fmt: skip


def verdicts(rows: list[dict]) -> list[str]:
    """Each target said plainly, on the largest count measured; and whether the dashboard stays flat."""
    largest = max(rows, key=lambda row: row["tickets"])
    smallest = min(rows, key=lambda row: row["tickets"])
    lines = [f"Targets at {largest['tickets']:,} tickets (they are set for 1,000,000):", ""]
    for name, test, words in TARGETS:
        lines.append(f"- {'met' if test(largest[name]) else 'MISSED'}: {words}")
    if largest is not smallest:
        for name, words in (("dashboard_json", "JSON"), ("dashboard_html", "HTML")):
            growth = largest[name]["p50"] / smallest[name]["p50"]
            verdict = "met" if growth <= 2 else "MISSED"
            lines.append(
                f"- {verdict}: dashboard flat, {words} p50 at {largest['tickets']:,} is {growth:.1f}x the "
                f"{smallest['tickets']:,} figure (target <= 2x)"
            )
    return lines


def write_results(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    plot(results, out / "latency.png")


def plot(results: dict, path: Path) -> None:
    """Median latency against ticket count: the served pages stay flat; the naive queries grow."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (served_axes, naive_axes) = pyplot.subplots(1, 2, figsize=(11, 4.5), dpi=120)
    styles = {"sqlite": "-", "postgresql": "--"}
    for backend in dict.fromkeys(row["backend"] for row in results["rows"]):
        rows = sorted((r for r in results["rows"] if r["backend"] == backend), key=lambda r: r["tickets"])
        counts = [row["tickets"] for row in rows]
        style = styles.get(backend, "-")
        for name, label, marker in (
            ("dashboard_json", "dashboard JSON", "o"),
            ("dashboard_html", "dashboard HTML", "s"),
            ("api_list", "API list, page 1", "^"),
        ):
            served_axes.plot(
                counts, [row[name]["p50"] for row in rows], style, marker=marker, label=f"{label} ({backend})"
            )
        naive_axes.plot(
            counts, [row["naive"]["unfiltered_ms"] for row in rows], style, marker="x",
            label=f"naive aggregates over tickets ({backend})",
        )  # fmt: skip
        naive_axes.plot(
            counts, [row["dashboard_json"]["p50"] for row in rows], style, marker="o",
            label=f"dashboard JSON, served ({backend})",
        )  # fmt: skip
    served_axes.set_ylim(bottom=0)
    served_axes.set_ylabel("median latency, ms (one client)")
    served_axes.set_title("Served over HTTP (gunicorn, 2 workers)")
    naive_axes.set_yscale("log")
    naive_axes.set_ylabel("ms (log scale)")
    naive_axes.set_title("The dashboard against counting the tickets")
    for axes in (served_axes, naive_axes):
        axes.set_xscale("log")
        axes.set_xlabel("tickets in the database")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


if __name__ == "__main__":
    raise SystemExit(main())
