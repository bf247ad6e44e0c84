"""Make the screenshots in docs/ from realistic demo data.

    python docs/make_screenshots.py [--port 8203] [--tickets 5000]

Builds a throwaway SQLite database, seeds it with `seed_demo`, runs the
regression suite once, serves the app on loopback and photographs with
Debian's chromium, at 1280 px:

- docs/dashboard.png: the dashboard as the demo analyst sees it;
- docs/dashboard-filtered.png: the same, filtered to unresolved medium and
  high tickets of the last two weeks;
- docs/admin-tickets.png: the admin's ticket list, as the demo admin sees it.

Each picture is reduced to a 256-colour palette (Pillow, installed with
matplotlib by requirements-dev.txt), which keeps it a fraction of the size.
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

from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}


def shrink(path: Path) -> None:
    """Rewrite the PNG with a 256-colour palette: screenshots of charts and text lose nothing visible."""
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=0)
    reduced.save(path, optimize=True)


def log_in(page: Page, url: str, username: str) -> None:
    """Sign in through the form that `url` leads to (the login page or the admin's)."""
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("[type=submit]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8203)
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="triage-shots-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'shots.sqlite3'}", "DJANGO_DEBUG": "1"}

    def manage(*command: str, check: bool = True) -> None:
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=check)

    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--tickets", str(args.tickets), "--days", "30", "--seed", "7")
    # The dashboard's regression panel shows this run; a failing check (exit 1) is a result too.
    manage("run_regression", "--log-dir", str(folder / "test_logs"), check=False)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{args.port}"
    written = []
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

            analyst = browser.new_page(viewport=VIEWPORT, reduced_motion="reduce")
            log_in(analyst, base + "/dashboard/", "analyst")
            analyst.wait_for_url("**/dashboard/")
            for path, name in (("/dashboard/", "dashboard.png"), (filtered, "dashboard-filtered.png")):
                analyst.goto(base + path)
                analyst.wait_for_function("() => window.Chart && Chart.getChart('chart-assignee')")
                analyst.screenshot(path=str(DOCS / name), full_page=True)
                written.append(DOCS / name)

            admin = browser.new_page(viewport=VIEWPORT, reduced_motion="reduce")
            log_in(admin, base + "/admin/tickets/ticket/", "admin")
            admin.wait_for_selector("#result_list")
            admin.click("#toggle-nav-sidebar")  # the list, not the app menu, is the subject
            admin.wait_for_selector("#nav-sidebar", state="hidden")
            admin.evaluate("window.scrollTo(0, 0)")
            admin.screenshot(path=str(DOCS / "admin-tickets.png"))
            written.append(DOCS / "admin-tickets.png")
            browser.close()
    finally:
        server.terminate()
        server.wait()
    for path in written:
        shrink(path)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
