"""Who may do what to tickets over the API: the roles table, field by field.

| capability                                         | admin | analyst | support |
|----------------------------------------------------|-------|---------|---------|
| list, read, create; change title/description/status| yes   | yes     | yes     |
| change priority or assigned_to (to another value)  | yes   | yes     | 403     |
| set priority on create                             | yes   | yes     | yes     |
| set assigned_to on create                          | yes   | yes     | 403     |
| delete                                             | yes   | 403     | 403     |

Anonymous requests and bad tokens get 401 (authentication runs first);
signed-in users without a role get 403.
"""

from collections.abc import Mapping

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from tickets import roles
from tickets.models import Ticket

# Fields a role may not change on a stored ticket (setting the stored value again is fine).
LOCKED_ON_UPDATE: dict[str, tuple[str, ...]] = {roles.SUPPORT: ("priority", "assigned_to")}
# Fields a role may not set on a new ticket (the field's default is fine, e.g. no assignee).
LOCKED_ON_CREATE: dict[str, tuple[str, ...]] = {roles.SUPPORT: ("assigned_to",)}
# Only these roles delete tickets.
DELETING_ROLES = (roles.ADMIN,)


def request_role(request) -> str | None:
    """The role of the request's user, looked up once per request."""
    if not hasattr(request, "_triage_role"):
        request._triage_role = roles.role_of(request.user)
    return request._triage_role


NO_ROLE = "Your account has no role (admin, analyst or support); ask an admin for one."


class HasRole(BasePermission):
    """Signed in, with one of the three roles (a user without one gets 403)."""

    message = NO_ROLE

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and request_role(request) is not None


class TicketAccess(HasRole):
    """A role is needed for everything; deleting needs the admin role."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        role = request_role(request)
        if request.method == "DELETE" and role not in DELETING_ROLES:
            raise PermissionDenied(f"Only admins may delete tickets; your role is {role}.")
        return True


def check_ticket_write(request, values: Mapping, ticket: Ticket | None) -> None:
    """Refuse (403, naming the fields) values that the user's role may not write.

    `values` are the validated fields of the request; `ticket` is the stored
    ticket for an update, None for a create.
    """
    role = request_role(request)
    if ticket is None:
        locked = LOCKED_ON_CREATE.get(role, ())
        defaults = {name: Ticket._meta.get_field(name).get_default() for name in locked}
        refused = [name for name in locked if name in values and values[name] != defaults[name]]
        verb = "set"
    else:
        locked = LOCKED_ON_UPDATE.get(role, ())
        refused = [name for name in locked if name in values and values[name] != getattr(ticket, name)]
        verb = "change"
    if refused:
        raise PermissionDenied(f"Your role ({role}) may not {verb} {' or '.join(refused)}.")


# The roles table of the endpoints beside tickets (rules, channels, the notifications log):
# who may read, and who may write. Actions that send something (a retry, a test message) are writes.
READ_ROLES = (roles.ADMIN, roles.ANALYST)
WRITE_ROLES = (roles.ADMIN,)


class ReadWriteRoles(HasRole):
    """Reading needs one of the view's `read_roles`, anything else one of its `write_roles` (else 403)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        role = request_role(request)
        reading = request.method in ("GET", "HEAD", "OPTIONS")
        allowed = view.read_roles if reading else view.write_roles
        if role not in allowed:
            verb = "read" if reading else "change"
            raise PermissionDenied(f"Your role ({role}) may not {verb} this; {' or '.join(allowed)} may.")
        return True
