"""The dashboard page and its JSON feed. Both take the shared ticket filters from the query string."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import parse_etags, urlencode
from django.views.decorators.http import require_safe
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard import selectors
from tickets import roles
from tickets.api.permissions import NO_ROLE, HasRole
from tickets.models import Ticket

# Answers vary with the logged-in user's cookie: browsers may keep them, shared caches may not.
CACHE_CONTROL = "private, no-cache"


@login_required
@require_safe
def dashboard_page(request):
    """The dashboard: panels drawn at once from embedded numbers, then kept fresh from /dashboard/data."""
    if roles.role_of(request.user) is None:
        return render(request, "dashboard/no_role.html", {"message": NO_ROLE}, status=403)
    today = selectors.local_today()
    filterset = selectors.dashboard_filter(request.GET, today=today)
    context = {"form": form_values(request.GET), "choices": form_choices()}
    if not filterset.is_valid():
        context["errors"] = selectors.filter_errors(filterset)
        return render(request, "dashboard/dashboard.html", context, status=400)
    numbers = selectors.dashboard_numbers(filterset, today=today)
    payload = numbers.as_json()
    context.update(
        numbers=numbers,
        payload=payload,
        config={
            "dataUrl": reverse("dashboard-data") + query_suffix(request),
            "etag": selectors.answer_etag(payload),
            "refreshSeconds": settings.TRIAGE_DASHBOARD_REFRESH_SECONDS,
            "loginUrl": f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}",
            "statusLabels": dict(Ticket.Status.choices),
            "priorityLabels": dict(Ticket.Priority.choices),
        },
    )
    response = render(request, "dashboard/dashboard.html", context)
    response["Cache-Control"] = CACHE_CONTROL
    return response


class JsonOnly(BaseContentNegotiation):
    """Always answer JSON, whatever the Accept header asks for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DashboardDataView(APIView):
    """`GET /dashboard/data`: the dashboard's numbers as JSON, with an ETag.

    Like the API: a session or a token; anonymous callers get 401 with a JSON
    `detail`, which the page's script turns into a "log in again" link. A bad
    filter gets 400 keyed by parameter; a matching If-None-Match gets 304.
    """

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    permission_classes = [HasRole]
    # The page's own feed, documented in the README, not part of the public API's schema.
    schema = None

    def get(self, request):
        today = selectors.local_today()
        filterset = selectors.dashboard_filter(request.query_params, today=today)
        if not filterset.is_valid():
            return Response(selectors.filter_errors(filterset), status=400)
        payload = selectors.dashboard_numbers(filterset, today=today).as_json()
        etag = selectors.answer_etag(payload)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match", ""), etag):
            return Response(status=304, headers=headers)
        return Response(payload, headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match asks: `W/"x"` matches `"x"`, and `*` matches anything."""
    tags = parse_etags(if_none_match)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def query_suffix(request) -> str:
    """`?` and the request's query string, or nothing."""
    query = request.META.get("QUERY_STRING", "")
    return f"?{query}" if query else ""


def form_values(query) -> dict:
    """The filter form's current values, as typed (a bad value is shown back with its error)."""
    return {
        "status": query.getlist("status"),
        "priority": query.getlist("priority"),
        **{
            name: query.get(name, "")
            for name in ("created_after", "created_before", "assigned_to", "search", "unassigned", "ordering")
        },
    }


def form_choices() -> dict:
    """The filter form's checkboxes: statuses and priorities, with their labels."""
    return {"status": Ticket.Status.choices, "priority": Ticket.Priority.choices}
