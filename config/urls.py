"""URL map. The API, webhook, dashboard and health paths answer with and without a trailing slash."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from tickets.views import healthz

handler500 = "config.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    re_path(r"^healthz/?$", healthz, name="healthz"),
    path("", include("notifications.urls")),
    path("", include("automation.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("automation.urls")),
    path("", include("intake.urls")),
    path("", include("dashboard.urls")),
    path("", include("insight.api.urls")),
]
