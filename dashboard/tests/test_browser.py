"""The dashboard in a real browser (Debian's chromium through Playwright) against the live test server.

Database writes during a test run in a short-lived thread: while Playwright's
sync API is open, the main thread hosts its event loop and Django (rightly)
refuses database calls there. A thread keeps that safety check on, instead of
setting DJANGO_ALLOW_ASYNC_UNSAFE.
"""

import datetime
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import sync_playwright

from dashboard.tests.factories import ticket_at
from qa.models import CheckResult, RegressionRun
from tickets.models import Ticket
from tickets.tests.factories import create_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHARTS = ("chart-status", "chart-days", "chart-priority", "chart-assignee")
# True when a chart exists for the canvas and at least one of its pixels is painted.
CHART_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  if (!window.Chart || !Chart.getChart(canvas)) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
  return false;
}"""
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def in_thread(work: Callable[[], object]) -> None:
    """Run database work outside the thread that hosts Playwright's event loop."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # noqa: BLE001 - re-raised below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture
def seeded(analyst_user):
    """A believable mix of tickets over the last two weeks, and a regression run."""
    now = timezone.now()
    people = ["Dana", "Network team", "Sam Lee", ""]
    create_tickets(
        *(
            {
                "title": f"Ticket {n}",
                "priority": ("low", "medium", "high")[n % 3],
                "status": ("open", "in_progress", "closed")[n % 3] if n % 3 != 2 else "in_progress",
                "assigned_to": people[n % 4] if n % 3 != 0 else "",
                "created_at": now - datetime.timedelta(hours=7 * n),
            }
            for n in range(60)
        )
    )
    run = RegressionRun.objects.create(started_at=now, finished_at=now, passed=True, outcome="passed")
    CheckResult.objects.create(run=run, name="data_consistency", passed=True)
    analyst_user.open_low = Ticket.objects.filter(status="open", priority="low").count()
    return analyst_user


@pytest.fixture
def browser_page(live_server, seeded):
    """A logged-out chromium page that records console errors, CSP violations and every request."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.problems = []
        page.requests = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        page.on("request", lambda request: page.requests.append(request.url))
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        yield page
        browser.close()


def log_in(page, live_server, username: str, path: str = "/dashboard/") -> None:
    page.goto(live_server.url + path)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def assert_every_chart_drawn(page) -> None:
    for chart in CHARTS:
        page.wait_for_function(CHART_DRAWN, arg=chart)


def assert_clean(page, live_server) -> None:
    assert page.problems == []
    assert page.evaluate("window.cspViolations") == []
    foreign = [url for url in page.requests if not url.startswith(live_server.url)]
    assert foreign == []


def test_an_analyst_logs_in_sees_every_chart_and_filters(browser_page, live_server, seeded):
    page = browser_page
    log_in(page, live_server, seeded.username)
    assert_every_chart_drawn(page)
    assert page.locator("#feed-rows tr").count() == 10
    assert page.locator("[data-headline=total]").inner_text() == "60"
    assert "Passed" in page.locator("#regression").inner_text()

    page.check("input[name=status][value=open]")
    page.check("input[name=priority][value=low]")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**status=open**")
    assert parse_qs(urlsplit(page.url).query) == {"status": ["open"], "priority": ["low"]}
    assert page.is_checked("input[name=status][value=open]")
    assert_every_chart_drawn(page)
    assert page.locator("[data-headline=total]").inner_text() == str(seeded.open_low)

    page.click("text=Clear filters")
    page.wait_for_url(live_server.url + "/dashboard/")
    assert_clean(page, live_server)


def test_a_new_ticket_appears_without_a_reload(browser_page, live_server, seeded, settings):
    settings.TRIAGE_DASHBOARD_REFRESH_SECONDS = 1
    page = browser_page
    log_in(page, live_server, seeded.username)
    assert_every_chart_drawn(page)
    with page.expect_response(lambda r: "/dashboard/data" in r.url and r.status == 304):
        pass  # nothing changed yet: the first poll is answered from the ETag
    in_thread(lambda: ticket_at(timezone.now(), title="Checkout is down for everyone", priority="high"))
    page.wait_for_function(
        "() => document.querySelector('#feed-rows tr td.title').textContent.includes('Checkout is down')"
    )
    assert page.locator("[data-headline=total]").inner_text() == "61"
    assert page.locator("#feed-rows tr").first.get_attribute("class") == "fresh"
    assert_clean(page, live_server)


def test_a_bad_filter_is_explained_in_the_browser(browser_page, live_server, seeded):
    page = browser_page
    log_in(page, live_server, seeded.username, path="/dashboard/?status=pending")
    assert "This filter cannot be shown" in page.inner_text("main")
    assert "pending is not one of the available choices" in page.inner_text("main")
    assert page.locator("canvas").count() == 0
    page.problems.clear()  # the 400 itself is logged by chromium as a failed resource
    assert_clean(page, live_server)


def test_it_fits_a_phone_screen(browser_page, live_server, seeded):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, seeded.username)
    assert_every_chart_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#feed-rows tr").first.is_visible()
    assert_clean(page, live_server)
