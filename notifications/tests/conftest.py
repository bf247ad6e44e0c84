"""Fixtures of the notification tests: real receivers, quick retries, loopback allowed."""

import pytest

from notifications.delivery import recent_sends
from notifications.tests.servers import Receiver, SmtpServer


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Each test counts its channels' recent sends anew (ids repeat after a rollback)."""
    recent_sends.clear()
    yield
    recent_sends.clear()


@pytest.fixture
def loopback(settings):
    """Channels may post to loopback receivers (as TRIAGE_OUTBOUND_ALLOW_PRIVATE=1 allows)."""
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = True
    settings.TRIAGE_NOTIFY_RETRY_SECONDS = 0
    return settings


@pytest.fixture
def receiver(loopback):
    """Make a started HTTP receiver with scripted answers; stopped after the test."""
    started = []

    def make(*answers):
        server = Receiver(*answers).__enter__()
        started.append(server)
        return server

    yield make
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a loopback port, with Django's mail settings pointing at it."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.DEFAULT_FROM_EMAIL = "triage@example.com"
        yield server
