"""`/api/rules` routes; every path answers with and without a trailing slash."""

from django.urls import re_path

from automation.api.views import RuleBacktestView, RuleViewSet

rules = RuleViewSet.as_view({"get": "list", "post": "create"})
rule = RuleViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    re_path(r"^api/rules/?$", rules, name="rule-list"),
    # Before the rule's own path, which would take "backtest" for an id.
    re_path(r"^api/rules/backtest/?$", RuleBacktestView.as_view(), name="rule-backtest"),
    re_path(r"^api/rules/(?P<pk>[^/]+)/?$", rule, name="rule-detail"),
]
