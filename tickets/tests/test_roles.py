"""The three groups exist after migrate and hold exactly the permissions of the roles table."""

import pytest
from django.contrib.auth.models import Group, Permission

from tickets import roles

pytestmark = pytest.mark.django_db


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_the_admin_group_has_every_permission():
    assert codenames(roles.ADMIN) == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }


def test_analysts_work_tickets_and_read_logs_and_rules():
    assert codenames(roles.ANALYST) == {
        "tickets.view_ticket", "tickets.add_ticket", "tickets.change_ticket",  # no delete
        "tickets.view_ticketevent",
        "automation.view_rule", "automation.view_rulecondition", "automation.view_ruleaction",
        "automation.view_automationlog",  # not integrations or their delivery log: admins' business
        "qa.view_regressionrun", "qa.view_checkresult", "qa.run_regression",
        "notifications.view_channel", "notifications.view_delivery",  # read channels and the delivery log
    }  # fmt: skip


def test_support_may_only_work_tickets():
    assert codenames(roles.SUPPORT) == {"tickets.view_ticket", "tickets.add_ticket", "tickets.change_ticket"}


def test_syncing_again_changes_nothing():
    before = {name: codenames(name) for name in roles.ROLES}
    roles.sync_roles()
    roles.sync_roles()
    assert {name: codenames(name) for name in roles.ROLES} == before
    assert Group.objects.filter(name__in=roles.ROLES).count() == 3


def test_role_of(admin_user, analyst_user, support_user, django_user_model):
    nobody = django_user_model.objects.create_user("dave")
    assert [roles.role_of(u) for u in (admin_user, analyst_user, support_user, nobody)] == [
        "admin", "analyst", "support", None,
    ]  # fmt: skip
