"""The three roles (Django auth groups) and what each may do.

Each app lists the permissions a role needs on its own models in its
AppConfig's `role_permissions`; after every migrate the groups are brought
to exactly that set. The admin role gets every permission.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import AnonymousUser, Group, Permission

ADMIN = "admin"
ANALYST = "analyst"
SUPPORT = "support"
ROLES = (ADMIN, ANALYST, SUPPORT)


def role_of(user) -> str | None:
    """The user's role: superusers are admins; otherwise their highest group."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    for role in ROLES:
        if role in names:
            return role
    return None


def wanted_permissions(app_configs) -> dict[str, set[tuple[str, str]]]:
    """(app_label, codename) pairs per role, gathered from every app's AppConfig."""
    wanted: dict[str, set[tuple[str, str]]] = {ANALYST: set(), SUPPORT: set()}
    for config in app_configs:
        for role, codenames in getattr(config, "role_permissions", {}).items():
            wanted[role].update((config.label, codename) for codename in codenames)
    return wanted


def sync_roles(using: str = "default", app_configs=None) -> None:
    """Create the three groups and give each exactly its permissions (idempotent)."""
    configs = list(app_configs or global_apps.get_app_configs())
    everything = Permission.objects.using(using).all()
    by_key = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in everything.select_related("content_type")
    }
    admin_group, _ = Group.objects.using(using).get_or_create(name=ADMIN)
    admin_group.permissions.set(list(by_key.values()))
    for role, keys in wanted_permissions(configs).items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_key[key] for key in sorted(keys) if key in by_key])


def sync_roles_after_migrate(sender, using="default", apps=None, **kwargs):
    """post_migrate receiver: keep the groups in step with the code after every migrate."""
    sync_roles(using=using)
