"""`run_worker` as a real process: it delivers, survives a colleague killed mid-delivery, shares the queue."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import Delivery, WorkerBeat
from notifications.tests.factories import ChannelFactory, notify_rule
from notifications.tests.servers import Answer
from tickets.models import Ticket
from tickets.tests.factories import create_tickets

# Worker processes have their own connections: what they need must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a DATABASE_URL for a worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "TRIAGE_OUTBOUND_ALLOW_PRIVATE": "1",
        "TRIAGE_NOTIFY_RETRY_SECONDS": "0",
        "TRIAGE_SWEEP_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> str:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def wait_until(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_process_delivers_and_says_it_is_alive(receiver, client):
    server = receiver(Answer(200))
    notify_rule(ChannelFactory(target=server.url()))
    assert client.get("/healthz/worker").status_code == 503  # no worker has ever run
    Ticket.objects.create(title="Hello worker")
    worker = start_worker("--threads", "2")
    try:
        assert server.wait_for(1), stop(worker)
        assert wait_until(lambda: Delivery.objects.filter(status="sent").exists())
        assert client.get("/healthz/worker").status_code == 200
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output
    assert "Worker stopped." in output


def test_a_worker_killed_mid_delivery_loses_nothing(receiver):
    server = receiver(Answer(200, delay=60), Answer(200))  # the first attempt hangs
    notify_rule(ChannelFactory(target=server.url()))
    Ticket.objects.create(title="Delivered despite a crash")
    first = start_worker("--threads", "1")
    try:
        assert server.wait_for(1), stop(first)
    finally:
        stop(first, signal.SIGKILL)  # no clean-up: the claim and the RUNNING queue row stay behind
    delivery = Delivery.objects.get()
    assert delivery.claimed_at is not None and delivery.status == "pending"
    assert DBTaskResult.objects.get(pk=delivery.task_id).status == "RUNNING"
    # A minute passes: the dead worker's heartbeat, its claim and its queue row grow old.
    minute_ago = timezone.now() - timedelta(seconds=90)
    WorkerBeat.objects.update(seen_at=minute_ago)
    Delivery.objects.update(claimed_at=minute_ago)
    DBTaskResult.objects.update(started_at=minute_ago)
    second = start_worker("--threads", "1")
    try:
        assert server.wait_for(2), stop(second)
        assert wait_until(lambda: Delivery.objects.filter(status="sent").exists())
    finally:
        stop(second)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert (
        server.requests[0].headers["webhook-id"]
        == server.requests[1].headers["webhook-id"]
        == str(delivery.pk)
    )
    dead_row = DBTaskResult.objects.exclude(status="SUCCESSFUL").get()
    assert (
        dead_row.status == "FAILED" and dead_row.exception_class_path == "notifications.worker.WorkerVanished"
    )


def test_two_workers_at_once_send_each_delivery_once(receiver):
    server = receiver(Answer(200))
    notify_rule(ChannelFactory(target=server.url(), max_per_minute=1000))
    create_tickets(*({"title": f"Burst {n}"} for n in range(40)))
    workers = [start_worker("--threads", "2", "--no-periodic") for _ in range(2)]
    try:
        assert server.wait_for(40), [stop(worker) for worker in workers]
        assert wait_until(lambda: Delivery.objects.filter(status="sent").count() == 40)
        time.sleep(0.5)  # room for a duplicate to show up, if there were one
    finally:
        outputs = [stop(worker) for worker in workers]
    ids = [request.headers["webhook-id"] for request in server.requests]
    assert len(ids) == len(set(ids)) == 40, outputs
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
