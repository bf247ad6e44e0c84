"""Realistic demo tickets for an operations team, generated fast and deterministically.

Faker makes the people, companies and sentences once per run (a few hundred
calls); each ticket is then composed from those pools with a seeded random
generator, which is what keeps a million tickets under a minute.

Tickets arrive as an operations team sees them: mostly in office hours, on
weekdays (weekends are quiet), a little more each week, with days that are
busier or calmer than usual and, a few days ago, an outage that brought
more than twice the usual volume. Each ticket takes a realistic time to
close: hours for high priority, about a day for medium, days for low; longer
for bugs than for access requests, for teams than for one person, and for
tickets raised out of hours. A ticket whose time has not come yet is still
open or in progress.
"""

import bisect
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import accumulate

from faker import Faker

from tickets.fields import PRIORITIES

SERVICES = [
    "Checkout API", "Payments gateway", "Customer portal", "Login service", "Search cluster",
    "Email relay", "VPN concentrator", "Data warehouse", "Billing engine", "Mobile app backend",
    "Reporting jobs", "CDN edge", "Message queue", "Inventory sync", "SSO provider",
]  # fmt: skip
REGIONS = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-central-1"]
SYSTEMS = ["Salesforce", "Jira", "the billing console", "the data warehouse", "GitHub", "the VPN", "Okta"]
FEATURES = [
    "Invoice PDF",
    "Dashboard export",
    "Password reset",
    "Order history",
    "Team settings",
    "Bulk upload",
]
BROWSERS = ["Safari 18", "Firefox ESR", "Chrome on Android", "Edge", "the iOS app"]
TEAMS = ["Network team", "Billing team", "Platform team"]
PRIORITY_CUM_WEIGHTS = (30, 78, 100)  # of PRIORITIES (low, medium, high): 30%, 48%, 22%
TEXTS_PER_PRIORITY = 3000

# Arrivals: relative volume per weekday (Monday first) and per local hour.
WEEKDAY_VOLUME = (1.2, 1.1, 1.05, 1.0, 0.9, 0.35, 0.3)
HOUR_VOLUME = (
    0.15, 0.1, 0.1, 0.1, 0.1, 0.15, 0.25, 0.5, 0.9, 1.4, 1.5, 1.4,
    1.0, 1.3, 1.4, 1.3, 1.2, 0.9, 0.6, 0.45, 0.35, 0.3, 0.25, 0.2,
)  # fmt: skip
GROWTH_PER_YEAR = 0.2
# Day-to-day swings in volume: a day's volume is times e^N(0, DAY_SWING).
DAY_SWING = 0.08
# The outage: this many days ago, this many times the usual volume (when the span allows it).
OUTAGE_DAYS_AGO, OUTAGE_VOLUME = 4, 2.4

# Resolution: median hours to close per priority, times a factor per kind of ticket, for a
# team, and for a ticket raised out of hours; then log-normal spread.
MEDIAN_HOURS = {"high": 4.0, "medium": 24.0, "low": 72.0}
KIND_FACTOR = {"outage": 0.5, "access": 0.4, "billing": 1.0, "bug": 2.5}
TEAM_FACTOR = 1.5
OUT_OF_HOURS_FACTOR = 1.8
RESOLUTION_SPREAD = 0.7


@dataclass(frozen=True)
class DemoTicket:
    """One generated ticket: how it was created, and the one later change it gets (if any)."""

    title: str
    description: str
    priority: str
    created_at: datetime
    later: dict | None
    later_at: datetime | None


class DemoData:
    """A deterministic source of demo tickets for a seed, a time span and a status window.

    `zone` is the time zone whose office hours and weekdays the arrivals follow.
    """

    def __init__(
        self,
        *,
        seed: int,
        days: int,
        total: int,
        now: datetime,
        closed_window_days: int,
        zone: tzinfo = UTC,
    ):
        self.seed = seed
        self.zone = zone
        self.total = max(total, 1)
        faker = Faker("en_US")
        faker.seed_instance(seed)
        self.people = [faker.name() for _ in range(12)]
        self.companies = [faker.company() for _ in range(150)]
        self.sentences = [faker.sentence(nb_words=12) for _ in range(300)]
        self.invoices = [faker.bothify("INV-#####") for _ in range(200)]
        self.versions = [faker.numerify("v2.#.#") for _ in range(40)]
        self.days = days
        self.now = now
        # Texts are composed once per run and drawn from per ticket: a few
        # thousand distinct tickets per priority read as realistic and cost
        # one random draw each instead of a dozen.
        self.random = random.Random(seed)
        self.texts = {
            priority: [self._text(priority) for _ in range(TEXTS_PER_PRIORITY)] for priority in PRIORITIES
        }
        # Closed tickets are closed inside the regression suite's window, with a day to spare.
        self.closed_window = timedelta(days=max(closed_window_days - 1, 1))
        self.begin = now - timedelta(days=days)
        self.arrivals = self._arrival_curve()

    def batch(self, start: int, size: int) -> list[DemoTicket]:
        """Tickets start..start+size of the run, oldest first.

        Each batch has its own random stream and its own slice of the time
        span, so batches can be made in any order, by any process, and the
        same seed still gives the same tickets; ids grow with time.
        """
        self.random = random.Random(f"{self.seed}:{start}")
        low, width = start / self.total, size / self.total
        shares = sorted(low + self.random.random() * width for _ in range(size))
        return [self._ticket(self._arrival_at(share)) for share in shares]

    def _arrival_curve(self) -> list[float]:
        """The cumulative share of the span's tickets that arrived by the end of each hour of it."""
        rnd = random.Random(f"{self.seed}:days")
        hours = math.ceil((self.now - self.begin).total_seconds() / 3600)
        local_begin = self.begin.astimezone(self.zone)
        first_day = local_begin.date()
        swings, volumes = {}, []
        for hour in range(hours):
            local = (self.begin + timedelta(hours=hour)).astimezone(self.zone)
            day = (local.date() - first_day).days
            if day not in swings:
                swings[day] = math.exp(rnd.gauss(0, DAY_SWING))
                if self.days >= 28 and (self.now.astimezone(self.zone).date() - local.date()).days == (
                    OUTAGE_DAYS_AGO
                ):
                    swings[day] *= OUTAGE_VOLUME
            growth = (1 + GROWTH_PER_YEAR) ** (hour / (24 * 365))
            volumes.append(WEEKDAY_VOLUME[local.weekday()] * HOUR_VOLUME[local.hour] * swings[day] * growth)
        total = sum(volumes)
        return [value / total for value in accumulate(volumes)]

    def _arrival_at(self, share: float) -> datetime:
        """The moment by which `share` of the span's tickets have arrived."""
        curve = self.arrivals
        hour = min(bisect.bisect_left(curve, share), len(curve) - 1)
        before = curve[hour - 1] if hour else 0.0
        into_hour = (share - before) / (curve[hour] - before) if curve[hour] > before else 0.0
        return min(self.begin + timedelta(hours=hour + into_hour), self.now)

    def _ticket(self, created_at: datetime) -> DemoTicket:
        rnd = self.random
        priority = rnd.choices(PRIORITIES, cum_weights=PRIORITY_CUM_WEIGHTS)[0]
        title, description, kind = rnd.choice(self.texts[priority])
        later, later_at = self._later_change(priority, kind, created_at)
        return DemoTicket(title, description, priority, created_at, later, later_at)

    def _text(self, priority: str) -> tuple[str, str, str]:
        rnd = self.random
        kind = rnd.choices(
            ("outage", "access", "billing", "bug"), weights=(2 if priority == "high" else 1, 3, 2, 3)
        )[0]
        company = rnd.choice(self.companies)
        person = rnd.choice(self.people)
        if kind == "outage":
            service = rnd.choice(SERVICES)
            title = rnd.choice(
                [
                    f"{service} outage in {rnd.choice(REGIONS)}",
                    f"{service} returning 502s for {company}",
                    f"Latency spike on {service}",
                    f"{service} down after deploy {rnd.choice(self.versions)}",
                ]
            )
        elif kind == "access":
            system = rnd.choice(SYSTEMS)
            title = rnd.choice(
                [
                    f"Access request: {person} needs {system}",
                    f"Reset MFA for {person}",
                    f"{person} locked out of {system}",
                    f"Remove {system} access for leaver at {company}",
                ]
            )
        elif kind == "billing":
            title = rnd.choice(
                [
                    f"Invoice {rnd.choice(self.invoices)} charged twice",
                    f"Refund request from {company}",
                    f"Billing address change for {company}",
                    f"Card declined on renewal for {company}",
                ]
            )
        else:
            feature = rnd.choice(FEATURES)
            title = rnd.choice(
                [
                    f"{feature} page crashes on {rnd.choice(BROWSERS)}",
                    f"{feature} shows wrong totals for {company}",
                    f"{feature} times out for large accounts",
                ]
            )
        description = (
            f"Reported by {person} ({company}). {rnd.choice(self.sentences)} {rnd.choice(self.sentences)}"
        )
        return title[:200], description, kind

    def _later_change(
        self, priority: str, kind: str, created_at: datetime
    ) -> tuple[dict | None, datetime | None]:
        """Tickets whose time to close has passed are closed; of the others, most are picked up."""
        rnd = self.random
        assignee = rnd.choice(self.people + TEAMS) if priority == "medium" and rnd.random() < 0.7 else None
        hours = self.resolution_hours(priority, kind, assignee, created_at)
        closed_at = created_at + timedelta(hours=hours)
        if closed_at <= self.now:
            # Within the regression suite's status window, however old the ticket.
            change = {"status": "closed"} | ({"assigned_to": assignee} if assignee else {})
            return change, max(closed_at, self.now - self.closed_window)
        roll = rnd.random()
        age = self.now - created_at
        if roll < 0.55 and priority != "high":
            # Picked up by a person or team and put in progress.
            when = created_at + min(age, timedelta(hours=48)) * rnd.random()
            return {"status": "in_progress", "assigned_to": rnd.choice(self.people + TEAMS)}, when
        if roll < 0.30 and priority == "high":
            # Handed from the Senior Analyst on call to a named person.
            when = created_at + min(age, timedelta(hours=12)) * rnd.random()
            return {"assigned_to": rnd.choice(self.people)}, when
        return None, None

    def resolution_hours(self, priority: str, kind: str, assignee: str | None, created_at: datetime) -> float:
        """Hours from creation to closing: the priority's median, times the ticket's factors, spread."""
        local = created_at.astimezone(self.zone)
        out_of_hours = local.weekday() >= 5 or not 8 <= local.hour < 18
        median = (
            MEDIAN_HOURS[priority]
            * KIND_FACTOR[kind]
            * (TEAM_FACTOR if assignee in TEAMS else 1.0)
            * (OUT_OF_HOURS_FACTOR if out_of_hours else 1.0)
        )
        return median * math.exp(self.random.gauss(0, RESOLUTION_SPREAD))
