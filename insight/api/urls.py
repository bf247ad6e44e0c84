"""Insight routes. Every path answers with and without a trailing slash, without a redirect."""

from django.urls import re_path

from insight.api.views import AnomaliesView

urlpatterns = [
    re_path(r"^api/insight/anomalies/?$", AnomaliesView.as_view(), name="insight-anomalies"),
]
