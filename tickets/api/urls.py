"""API routes. Every path answers with and without a trailing slash, without a redirect."""

from django.urls import re_path

from tickets.api.docs import ApiDocsView, ApiSchemaView
from tickets.api.views import TicketViewSet

tickets = TicketViewSet.as_view({"get": "list", "post": "create"})
ticket = TicketViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"},
)
history = TicketViewSet.as_view({"get": "history"})

urlpatterns = [
    re_path(r"^api/tickets/?$", tickets, name="ticket-list"),
    re_path(r"^api/tickets/(?P<pk>[^/]+)/?$", ticket, name="ticket-detail"),
    re_path(r"^api/tickets/(?P<pk>[^/]+)/history/?$", history, name="ticket-history"),
    re_path(r"^api/schema/?$", ApiSchemaView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
]
