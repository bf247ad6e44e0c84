"""The webhook route; it answers with and without a trailing slash, without a redirect."""

from django.urls import re_path

from automation.views import WebhookView

urlpatterns = [
    re_path(r"^webhook/ticket/?$", WebhookView.as_view(), name="webhook-ticket"),
]
