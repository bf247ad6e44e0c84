"""The outbox: a notify rule's delivery and queue rows are written in the ticket write's transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from automation.models import AutomationLog
from notifications.models import Delivery
from notifications.services import queue_notification
from notifications.tests.factories import ChannelFactory, notify_rule
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import create_tickets

pytestmark = pytest.mark.django_db


def test_a_notify_rule_queues_one_delivery_and_one_queue_row_per_channel():
    first, second = ChannelFactory(), ChannelFactory()
    notify_rule(first, name="first")
    notify_rule(second, name="second")
    ticket = Ticket.objects.create(title="Outage")
    deliveries = Delivery.objects.order_by("channel_name")
    assert [(d.channel_name, d.rule_name, d.event, d.status) for d in deliveries] == [
        (first.name, "first", "create", "pending"), (second.name, "second", "create", "pending"),
    ]  # fmt: skip
    tasks = DBTaskResult.objects.filter(pk__in=[d.task_id for d in deliveries])
    assert {(t.status, t.task_path, t.args_kwargs["args"][0]) for t in tasks} == {
        ("READY", "notifications.tasks.deliver", str(d.pk)) for d in deliveries
    }
    assert all(d.ticket_id == ticket.pk and d.payload["ticket"]["id"] == ticket.pk for d in deliveries)


def test_a_rule_that_only_notifies_fires_once_per_save_and_is_logged_but_not_audited():
    notify_rule(ChannelFactory(), trigger="both")
    ticket = Ticket.objects.create(title="One")
    ticket.title = "Two"
    ticket.save()
    assert list(Delivery.objects.order_by("created_at").values_list("event", flat=True)) == [
        "create",
        "update",
    ]
    assert list(AutomationLog.objects.values_list("rule_name", "changes")) == [
        ("Tell the channel", {}),
        ("Tell the channel", {}),
    ]
    assert not TicketEvent.objects.filter(actor_type="rule").exists()  # it changed no field


def test_a_rolled_back_write_leaves_no_queue_row_and_no_delivery():
    notify_rule(ChannelFactory())
    with pytest.raises(RuntimeError), transaction.atomic():
        Ticket.objects.create(title="Never mind")
        assert Delivery.objects.count() == 1 and DBTaskResult.objects.count() == 1  # inside: both written
        raise RuntimeError("the caller's transaction fails after the write")
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_refused_write_queues_nothing():
    notify_rule(ChannelFactory())
    with pytest.raises(ValidationError):
        Ticket.objects.create(title="Breaks the rule", priority="low", status="in_progress", assigned_to="")
    assert Delivery.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_a_failure_inside_the_write_after_the_queue_row_rolls_both_back(django_db_blocker):
    """A fault injected where the write would meet it: the summary rows' insert, after our rows."""
    from django.db import connection

    notify_rule(ChannelFactory())

    def fail_on_summary(execute, sql, params, many, context):
        if "dashboard_ticket_counts" in sql and sql.lstrip().upper().startswith("INSERT"):
            raise RuntimeError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_summary), pytest.raises(RuntimeError):
        Ticket.objects.create(title="Half written")
    assert not Ticket.objects.filter(title="Half written").exists()
    assert Delivery.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_an_inactive_channel_gets_nothing():
    channel = ChannelFactory()
    notify_rule(channel)
    channel.active = False
    channel.save()  # the rules' copy is dropped: the next write knows at once
    Ticket.objects.create(title="Quiet")
    assert Delivery.objects.count() == 0
    assert queue_notification(event="test", channel=channel) is None


def test_a_batch_write_queues_a_delivery_per_ticket():
    notify_rule(ChannelFactory())
    create_tickets(*({"title": f"Bulk {n}"} for n in range(5)))
    assert Delivery.objects.count() == 5 == DBTaskResult.objects.count()


def test_the_service_queues_a_mention_email_to_addresses_without_a_channel():
    ticket = Ticket.objects.create(title="Look at this")
    delivery = queue_notification(
        event="mention", ticket=ticket, to=["dana@example.com"], data={"text": "@dana"}
    )
    assert (delivery.channel_id, delivery.channel_name, delivery.recipients) == (None, "", "dana@example.com")
    assert delivery.payload == {
        "ticket": delivery.payload["ticket"], "rule": None, "event": "mention", "text": "@dana",
    }  # fmt: skip
    assert delivery.payload["ticket"]["title"] == "Look at this"
    assert queue_notification(event="mention", ticket=ticket, to=[]) is None  # nobody to tell


def test_a_notify_rule_adds_three_inserts_to_a_save_and_sends_nothing():
    """The request only writes rows: the rule's log row, the queue row and the delivery."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Ticket.objects.create(title="warm the rules' copy")
    with CaptureQueriesContext(connection) as without_rule:
        Ticket.objects.create(title="Counted")
    notify_rule(ChannelFactory())
    Ticket.objects.create(title="warm the rules' copy again")
    with CaptureQueriesContext(connection) as with_rule:
        Ticket.objects.create(title="Counted")
    added = [q["sql"] for q in with_rule.captured_queries[len(without_rule.captured_queries) :]]
    assert len(with_rule) == len(without_rule) + 3, added
    inserts = [q["sql"] for q in with_rule.captured_queries if "INSERT INTO" in q["sql"]]
    for table in ("automation_logs", "django_tasks_database_dbtaskresult", "notification_deliveries"):
        assert sum(table in sql for sql in inserts) == 1, table
