"""factory-boy factories for tickets. Saving goes through Ticket.save(): rules and audit apply."""

import factory

from tickets.models import Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    title = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph", nb_sentences=2)
    priority = Ticket.Priority.MEDIUM
    status = Ticket.Status.OPEN
    assigned_to = ""
