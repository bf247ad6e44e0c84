"""Benchmark: the dashboard (HTML and JSON, behind gunicorn) against the naive aggregate queries.

    python bench/dashboard.py                        # SQLite in a temp dir, 100,000 tickets
    python bench/dashboard.py --tickets 1000000      # the real target
    python bench/dashboard.py --postgres postgres://postgres@127.0.0.1:5432/triage_bench

For each database it migrates, seeds N tickets with `seed_demo`, serves the app
with gunicorn (2 workers, DEBUG off, plain HTTP on --port), and measures in one
run the median of --runs repetitions of:

  * naive: the five aggregate queries a dashboard without a summary would run
    over `tickets` (by status, by priority, by assignee, per day, latest 10);
  * the dashboard page and /dashboard/data, logged in, over HTTP;

unfiltered, filtered (unresolved medium and high tickets), narrow filters
(a week, one assignee: the naive queries use an index and are cheap too),
and with `search` (which falls back to counting tickets; for information, it
is not part of the target). Target at 1M tickets: HTML and JSON under 50 ms
median and at least 10x faster than naive.

The PostgreSQL database named in --postgres is dropped and recreated, so its
name must contain "bench". --keep DIR keeps the SQLite file (and reuses it when
it already holds N tickets); --reuse does the same for PostgreSQL.
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder would come first on sys.path and shadow the `dashboard` app.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

PYTHON = sys.executable
USERNAME, PASSWORD = "analyst", "demo"


def bench_env(database_url: str) -> dict:
    """The environment of every process of one benchmark: production settings on loopback."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRIAGE_LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ticket_count(env: dict) -> int:
    out = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "-c",
            "from tickets.models import Ticket; print(Ticket.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


# PostgreSQL plans with statistics that autovacuum refreshes soon after a bulk load; a
# server with autovacuum off (as on some test machines) would plan with those of an
# empty table, so the benchmark refreshes them itself. SQLite is measured as it comes
# (no ANALYZE): that is how a fresh SQLite database runs.
ANALYZE_POSTGRES = (
    "from django.db import connection\n"
    "if connection.vendor == 'postgresql':\n"
    "    connection.cursor().execute('ANALYZE')"
)


def prepare(env: dict, tickets: int, *, reuse: bool, reset) -> None:
    """Migrate and seed a fresh database, or reuse one that already holds the N tickets."""
    if reuse:
        manage(env, "migrate", "--no-input", "-v", "0")
    if reuse and ticket_count(env) == tickets:
        print(f"   reusing {tickets:,} tickets", flush=True)
    else:
        reset()  # a new database, so that migrations install the automation rules the seeder applies
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "seed_demo", "--tickets", str(tickets), "--force", "--seed", "1")
    manage(env, "shell", "-v", "0", "-c", ANALYZE_POSTGRES)
    manage(env, "collectstatic", "--no-input", "-v", "0")


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def recreate_postgres(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (its name must say 'bench')."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    import psycopg

    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


# --- The naive dashboard: five aggregate queries over tickets ------------------------------------


def naive_numbers(query: str, *, today: datetime.date) -> dict:
    """What a dashboard without a summary computes: five queries over the filtered tickets."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.http import QueryDict
    from django.utils import timezone

    from tickets.filters import TicketFilter, start_of_day
    from tickets.models import Ticket

    filterset = TicketFilter(QueryDict(query), queryset=Ticket.objects.all())
    assert filterset.is_valid(), filterset.errors
    tickets = filterset.qs.order_by()
    cleaned = filterset.form.cleaned_data
    last = cleaned.get("created_before") or today
    first = cleaned.get("created_after") or last - datetime.timedelta(days=13)
    zone = timezone.get_default_timezone()
    per_day = (
        tickets.filter(
            created_at__gte=start_of_day(first),
            created_at__lt=start_of_day(last + datetime.timedelta(days=1)),
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("id"))
    )
    return {
        "by_status": dict(tickets.values_list("status").annotate(n=Count("id"))),
        "by_priority": dict(tickets.values_list("priority").annotate(n=Count("id"))),
        "by_assignee": dict(tickets.values_list("assigned_to").annotate(n=Count("id"))),
        "created_per_day": {day.isoformat(): n for day, n in per_day},
        "latest": list(filterset.qs.order_by("-created_at", "-id").values_list("id", flat=True)[:10]),
    }


def time_naive(query: str, runs: int) -> float:
    """Median milliseconds of the five naive queries."""
    from dashboard.selectors import local_today

    today = local_today()
    naive_numbers(query, today=today)  # warm the caches as the dashboard's warm-up does
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        naive_numbers(query, today=today)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


# --- The dashboard over HTTP -------------------------------------------------------------------


class Browser:
    """A logged-in HTTP client with a cookie jar (urllib only: nothing else to install)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def log_in(self) -> None:
        self.opener.open(self.base + "/accounts/login/").read()
        token = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/dashboard/"}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=form, headers={"Referer": self.base}
        )
        self.opener.open(request).read()
        assert any(cookie.name == "sessionid" for cookie in self.jar), "login failed"

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def median_ms(self, path: str, runs: int, headers: dict | None = None, expect: int = 200) -> float:
        for _ in range(3):
            self.get(path, headers)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            status, _, _ = self.get(path, headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == expect, f"{path} answered {status}"
        return statistics.median(timings)


def serve(env: dict, port: int) -> subprocess.Popen:
    """gunicorn with two workers on loopback; returns once /healthz answers."""
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def measure(env: dict, *, port: int, runs: int, cases: dict[str, str]) -> list[dict]:
    """Naive queries in this process, dashboard over HTTP; one row per case."""
    os.environ.update(env)
    import django

    django.setup()
    server = serve(env, port)
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        browser.log_in()
        rows = []
        for case, query in cases.items():
            print(f"   {case}: {query or '(no filter)'}", file=sys.stderr, flush=True)
            suffix = f"?{query}" if query else ""
            etag = browser.get("/dashboard/data" + suffix)[2]["ETag"]
            rows.append(
                {
                    "case": case,
                    "query": query,
                    "naive_ms": time_naive(query, runs),
                    "html_ms": browser.median_ms("/dashboard/" + suffix, runs),
                    "json_ms": browser.median_ms("/dashboard/data" + suffix, runs),
                    "json_304_ms": browser.median_ms(
                        "/dashboard/data" + suffix, runs, headers={"If-None-Match": etag}, expect=304
                    ),
                }
            )
        return rows
    finally:
        server.terminate()
        server.wait()


def report(database: str, tickets: int, rows: list[dict]) -> None:
    print(f"\n{database}, {tickets:,} tickets (median ms)")
    heading = ("naive 5 q", "HTML", "JSON", "JSON 304", "naive/HTML", "naive/JSON")
    print(f"  {'case':<11} " + " ".join(f"{name:>10}" for name in heading))
    for row in rows:
        figures = [row["naive_ms"], row["html_ms"], row["json_ms"], row["json_304_ms"]]
        ratios = [row["naive_ms"] / row["html_ms"], row["naive_ms"] / row["json_ms"]]
        print(
            f"  {row['case']:<11} "
            + " ".join(f"{value:>10.1f}" for value in figures)
            + " "
            + " ".join(f"{value:>9.1f}x" for value in ratios)
        )


def run_one(label: str, database_url: str, args, *, reuse: bool, reset) -> None:
    """Prepare one database and measure it in a child process (one Django setup per database)."""
    env = bench_env(database_url)
    print(f"== {label}: preparing {args.tickets:,} tickets", flush=True)
    prepare(env, args.tickets, reuse=reuse, reset=reset)
    print(f"== {label}: measuring ({args.runs} runs per figure)", flush=True)
    out = subprocess.run(
        [PYTHON, __file__, "--measure", "--port", str(args.port), "--runs", str(args.runs)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    report(label, args.tickets, rows)


def cases() -> dict[str, str]:
    """What an analyst looks at: everything, the unresolved important work, a narrow week, a search."""
    week_ago = (datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=7)).isoformat()
    return {
        "unfiltered": "",
        "filtered": "status=open&status=in_progress&priority=medium&priority=high",
        "narrow": f"status=open&status=in_progress&priority=high&created_after={week_ago}",
        "assignee": "assigned_to=Senior+Analyst&status=in_progress",
        "search": "search=outage",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9, help="repetitions per figure (median reported)")
    parser.add_argument("--port", type=int, default=8201)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database (dropped and recreated)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--keep", help="keep the SQLite database in this folder and reuse it")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the PostgreSQL database if it holds N tickets"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        env = dict(os.environ)
        print(json.dumps(measure(env, port=args.port, runs=args.runs, cases=cases())))
        return
    if not args.no_sqlite:
        folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="triage-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bench.sqlite3"
        run_one("SQLite", f"sqlite:///{path}", args, reuse=bool(args.keep), reset=lambda: remove_sqlite(path))
    if args.postgres:
        run_one(
            "PostgreSQL",
            args.postgres,
            args,
            reuse=args.reuse,
            reset=lambda: recreate_postgres(args.postgres),
        )


if __name__ == "__main__":
    main()
