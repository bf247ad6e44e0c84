"""Dashboard URLs, included at the root by config/urls.py.

Each path answers with and without a trailing slash, without a redirect; the
named pattern is the documented spelling, so `reverse()` gives that one.
"""

from django.urls import re_path

from dashboard import views

urlpatterns = [
    re_path(r"^dashboard/$", views.dashboard_page, name="dashboard"),
    re_path(r"^dashboard$", views.dashboard_page),
    re_path(r"^dashboard/data$", views.DashboardDataView.as_view(), name="dashboard-data"),
    re_path(r"^dashboard/data/$", views.DashboardDataView.as_view()),
]
