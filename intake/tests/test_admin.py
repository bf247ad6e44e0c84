"""The links between external ids and tickets in the admin: admins read them, nobody edits them."""

import pytest
from django.urls import reverse

from intake.models import ExternalTicket
from intake.tests.senders import fixture, to_github

pytestmark = pytest.mark.django_db


def test_admins_see_which_ticket_stands_for_which_issue(admin_client, client, github):
    to_github(client, github, fixture("github-issues-opened"))
    link = ExternalTicket.objects.get()
    page = admin_client.get(reverse("admin:intake_externalticket_changelist"), {"q": "acme/api#42"})
    text = page.content.decode()
    assert "acme/api#42" in text and f"#{link.ticket_id}" in text and "acme-api" in text
    change = reverse("admin:intake_externalticket_change", args=[link.pk])
    assert admin_client.post(change, {"external_id": "other"}).status_code == 403
    assert admin_client.get(reverse("admin:intake_externalticket_add")).status_code == 403
    assert ExternalTicket.objects.get().external_id == "acme/api#42"


def test_analysts_do_not_see_them(analyst_client):
    assert analyst_client.get(reverse("admin:intake_externalticket_changelist")).status_code == 403
