"""Make docs/dashboard.png and docs/dashboard-filtered.png from realistic demo data.

    python docs/make_screenshots.py [--port 8203] [--tickets 5000]

Builds a throwaway SQLite database, seeds it with `seed_demo`, records a
regression run, serves the app on loopback and photographs the dashboard as
the demo analyst sees it at 1280 px, unfiltered and filtered.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip
RECORD_RUN = """
from django.utils import timezone
from qa.models import CheckResult, RegressionRun
now = timezone.now()
run = RegressionRun.objects.create(started_at=now, finished_at=now, passed=False, outcome="failed")
for name, passed, violations in [("workflow_automation", True, 0), ("status_integrity", True, 0),
                                 ("priority_escalation", False, 2), ("data_consistency", True, 0)]:
    CheckResult.objects.create(run=run, name=name, passed=passed, violations=violations,
                               outcome="passed" if passed else "failed")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8203)
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="triage-shots-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'shots.sqlite3'}", "DJANGO_DEBUG": "1"}

    def manage(*command: str) -> None:
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)

    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--tickets", str(args.tickets), "--days", "30", "--seed", "7")
    manage("shell", "-c", RECORD_RUN)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        two_weeks_ago = datetime.date.today() - datetime.timedelta(days=13)
        filtered = (
            "/dashboard/?status=open&status=in_progress&priority=medium&priority=high"
            f"&created_after={two_weeks_ago}"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
            page.goto(base + "/dashboard/")
            page.fill("#id_username", "analyst")
            page.fill("#id_password", "demo")
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard/")
            page.wait_for_function("() => window.Chart && Chart.getChart('chart-assignee')")
            page.screenshot(path=str(ROOT / "docs" / "dashboard.png"), full_page=True)
            page.goto(base + filtered)
            page.wait_for_function("() => window.Chart && Chart.getChart('chart-assignee')")
            page.screenshot(path=str(ROOT / "docs" / "dashboard-filtered.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print("wrote docs/dashboard.png and docs/dashboard-filtered.png")


if __name__ == "__main__":
    main()
