"""Realistic demo tickets for an operations team, generated fast and deterministically.

Faker makes the people, companies and sentences once per run (a few hundred
calls); each ticket is then composed from those pools with a seeded random
generator, which is what keeps a million tickets under a minute.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    """A deterministic source of demo tickets for a seed, a time span and a status window."""

    def __init__(self, *, seed: int, days: int, total: int, now: datetime, closed_window_days: int):
        self.seed = seed
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

    def batch(self, start: int, size: int) -> list[DemoTicket]:
        """Tickets start..start+size of the run, oldest first.

        Each batch has its own random stream and its own slice of the time
        span, so batches can be made in any order, by any process, and the
        same seed still gives the same tickets; ids grow with time.
        """
        self.random = random.Random(f"{self.seed}:{start}")
        begin = self.now - timedelta(days=self.days)
        span = (self.now - begin).total_seconds()
        low = begin + timedelta(seconds=span * start / self.total)
        width = span * size / self.total
        offsets = sorted(self.random.random() * width for _ in range(size))
        return [self._ticket(low + timedelta(seconds=offset)) for offset in offsets]

    def _ticket(self, created_at: datetime) -> DemoTicket:
        rnd = self.random
        priority = rnd.choices(PRIORITIES, cum_weights=PRIORITY_CUM_WEIGHTS)[0]
        title, description = rnd.choice(self.texts[priority])
        later, later_at = self._later_change(priority, created_at)
        return DemoTicket(title, description, priority, created_at, later, later_at)

    def _text(self, priority: str) -> tuple[str, str]:
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
        return title[:200], description

    def _later_change(self, priority: str, created_at: datetime) -> tuple[dict | None, datetime | None]:
        """Most tickets move on after creation: picked up by a person, or closed."""
        rnd = self.random
        roll = rnd.random()
        age = self.now - created_at
        if roll < 0.45:
            # Closed within the status window (and after it was created).
            earliest = max(created_at, self.now - self.closed_window)
            when = earliest + (self.now - earliest) * rnd.random()
            change = {"status": "closed"}
            if priority == "medium" and rnd.random() < 0.7:
                change["assigned_to"] = rnd.choice(self.people + TEAMS)
            return change, when
        if roll < 0.70 and priority != "high":
            # Picked up by a person or team and put in progress.
            when = created_at + min(age, timedelta(hours=48)) * rnd.random()
            return {"status": "in_progress", "assigned_to": rnd.choice(self.people + TEAMS)}, when
        if roll < 0.78 and priority == "high":
            # Handed from the Senior Analyst on call to a named person.
            when = created_at + min(age, timedelta(hours=12)) * rnd.random()
            return {"assigned_to": rnd.choice(self.people)}, when
        return None, None
