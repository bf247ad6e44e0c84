"""factory-boy factories for tickets, and batch helpers. Every write goes through the write pipeline."""

import factory

from tickets.models import Ticket
from tickets.pipeline import TicketChange, write_tickets


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    title = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph", nb_sentences=2)
    priority = Ticket.Priority.MEDIUM
    status = Ticket.Status.OPEN
    assigned_to = ""


def create_tickets(*tickets: dict) -> list[Ticket]:
    """Create tickets through the write pipeline as one batch, as the seeder does.

    Each dict holds tracked fields and, optionally, `created_at`.
    """
    changes = []
    for values in tickets:
        values = dict(values)
        when = values.pop("created_at", None)
        changes.append(TicketChange.create(values, when=when))
    return [write.ticket for write in write_tickets(changes)]


def update_tickets(*changes: tuple[Ticket, dict], when=None) -> list[Ticket]:
    """Change stored tickets through the write pipeline as one batch: (ticket, {field: value}) pairs."""
    writes = write_tickets([TicketChange.update(ticket.pk, values, when=when) for ticket, values in changes])
    return [write.ticket for write in writes]
