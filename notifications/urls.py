"""Routes of the notification app; each answers with and without a trailing slash."""

from django.urls import include, path, re_path

from notifications.views import worker_health

urlpatterns = [
    re_path(r"^healthz/worker/?$", worker_health, name="healthz-worker"),
    path("", include("notifications.api.urls")),
]
