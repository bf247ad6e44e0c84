"""The alert sources' route; it answers with and without a trailing slash, without a redirect."""

from django.urls import re_path

from intake.views import AlertSourceView

urlpatterns = [
    re_path(
        r"^webhook/(?P<source>[^/]+)/(?P<name>[^/]+)/?$", AlertSourceView.as_view(), name="webhook-source"
    ),
]
