"""`/api/rules`: the automation rules as JSON (analysts read, admins write), and the rule backtest."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from automation import backtest
from automation.api.serializers import BacktestRequestSerializer, RuleSerializer, backtest_errors, flat_errors
from automation.services import rule_delete, rule_json, rule_save, rules_for_json
from notifications.api.views import READ_ERRORS, WRITE_ERRORS, ApiViewMixin
from tickets import roles
from tickets.api import schema

RULE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The rule's id.")
NO_RULE = schema.error("No rule has this id.")
RULE_ERRORS = {
    **WRITE_ERRORS,
    400: schema.bad_request(
        "an unknown field, operator, enum value or channel, or actions that could break the business rule",
        {"actions": ["These actions could break the business rule (…)."]},
    ),
}


@extend_schema_view(
    list=extend_schema(summary="List rules in position order", responses={200: RuleSerializer(many=True),
                                                                           **READ_ERRORS}),
    retrieve=extend_schema(summary="Read a rule", parameters=[RULE_ID],
                           responses={200: RuleSerializer, 404: NO_RULE, **READ_ERRORS}),
    create=extend_schema(summary="Create a rule (admins)", responses={201: RuleSerializer, **RULE_ERRORS}),
    update=extend_schema(summary="Replace a rule (admins)", parameters=[RULE_ID],
                         responses={200: RuleSerializer, 404: NO_RULE, **RULE_ERRORS}),
    partial_update=extend_schema(summary="Change a rule (admins)", parameters=[RULE_ID],
                                 responses={200: RuleSerializer, 404: NO_RULE, **RULE_ERRORS}),
    destroy=extend_schema(summary="Delete a rule (admins)", parameters=[RULE_ID],
                          responses={204: None, 404: NO_RULE, **READ_ERRORS}),
)  # fmt: skip
class RuleViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Rules as data: validated exactly as the admin validates them (`automation.validation`)."""

    serializer_class = RuleSerializer
    pagination_class = None
    filter_backends = []
    lookup_value_regex = "[^/]+"
    not_found = "No rule has this id."

    def get_queryset(self):
        return rules_for_json()

    def list(self, request):
        return Response([rule_json(rule) for rule in self.get_queryset()])

    def retrieve(self, request, pk=None):
        return Response(rule_json(self.get_object()))

    def valid(self, serializer) -> dict:
        """The validated rule, or 400 keyed by the offending key (nested problems as sentences)."""
        if not serializer.is_valid():
            raise ValidationError(flat_errors(serializer.errors))
        return serializer.validated_data

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        self.valid(serializer)
        rule = rule_save(rule=None, data=serializer.validated_data)
        return Response(rule_json(self.get_queryset().get(pk=rule.pk)), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        self.valid(serializer)
        rule_save(rule=rule, data=serializer.validated_data)
        return Response(rule_json(self.get_queryset().get(pk=rule.pk)))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        rule_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


BACKTEST_ANSWER = inline_serializer(
    "RuleBacktest",
    {
        "examined": serializers.IntegerField(help_text="Tickets created in the window (and still stored)."),
        "would_fire": serializers.IntegerField(help_text="How many of them the rule would have fired on."),
        "changes": serializers.DictField(
            child=serializers.DictField(child=serializers.IntegerField()),
            help_text='Per field, tickets per change it would have made: `{"priority": {"low -> high": 3}}`.',
        ),
        "notifications": serializers.DictField(
            child=serializers.IntegerField(),
            help_text="Per channel, messages its notify actions would queue (an inactive channel: none).",
        ),
        "examples": serializers.ListField(
            child=serializers.IntegerField(), max_length=backtest.MAX_EXAMPLES,
            help_text=f"Ids of tickets it would fire on, newest first, at most {backtest.MAX_EXAMPLES}.",
        ),
    },
)  # fmt: skip


class RuleBacktestView(ApiViewMixin, APIView):
    """What a rule would have done to the tickets created in the last N days; writes nothing."""

    read_roles = write_roles = (roles.ADMIN, roles.ANALYST)

    @extend_schema(
        operation_id="rules_backtest",
        summary="Backtest a rule over recent tickets (admins, analysts)",
        description="Replays the rule alone over the tickets created in the last `days` days, each as its "
        "creator proposed it (before any rule ran), and says what it would have changed and notified. "
        "Nothing is written.",
        request=BacktestRequestSerializer,
        responses={
            200: BACKTEST_ANSWER,
            **RULE_ERRORS,
            400: schema.bad_request(
                "`days`, or a rule key (as for saving a rule; `trigger` must be create or both)",
                {"trigger": ["Only rules triggered on create (create or both) can be backtested, not update."]},  # noqa: E501
            ),
        },
    )  # fmt: skip
    def post(self, request):
        serializer = BacktestRequestSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(backtest_errors(serializer.errors))
        data = serializer.validated_data
        try:
            answer = backtest.backtest_rule(backtest.spec_from_json(data["rule"]), days=data["days"])
        except backtest.NotBacktestable as refused:
            raise ValidationError({refused.field: [str(refused)]}) from None
        return Response(answer)
