"""`GET /api/insight/anomalies`: tickets created per day against the band their weekdays' history expects."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from insight import profile, volume
from tickets.api import schema
from tickets.api.permissions import HasRole

DEFAULT_DAYS = 28
MAX_DAYS = 365


class AnomaliesQuery(serializers.Serializer):
    """The query string: `days`, a whole number from 1 to 365 (default 28)."""

    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, default=DEFAULT_DAYS)


ANOMALY_ROW = inline_serializer(
    "AnomalyDay",
    {
        "date": serializers.DateField(),
        "count": serializers.IntegerField(help_text="Tickets created that day (so far, for today)."),
        "expected": serializers.FloatField(
            allow_null=True,
            help_text="Median of the same weekday over the weeks before (today: pro-rated to the hour); "
            "null with less than three weeks of history or before the first ticket.",
        ),
        "low": serializers.FloatField(allow_null=True, help_text="Below this count the day is anomalous."),
        "high": serializers.FloatField(allow_null=True, help_text="Above this count the day is anomalous."),
        "score": serializers.FloatField(
            allow_null=True, help_text="The day's log ratio to `expected`, in units of the usual noise."
        ),
        "anomalous": serializers.BooleanField(),
    },
    many=True,
)


class AnomaliesView(APIView):
    """Every role may read the anomalies; anonymous callers get 401."""

    permission_classes = [HasRole]

    @extend_schema(
        operation_id="insight_anomalies",
        summary="Tickets created per day, with the expected band and anomalous days",
        parameters=[
            OpenApiParameter(
                "days",
                {
                    "anyOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                        {"type": "string", "maxLength": 0},
                    ]
                },
                description=f"Days ending today, 1 to {MAX_DAYS} (empty or absent: {DEFAULT_DAYS}).",
            )
        ],
        responses={
            200: ANOMALY_ROW,
            400: schema.bad_request("`days`", {"days": ["Ensure this value is less than or equal to 365."]}),
            401: schema.UNAUTHENTICATED,
            403: schema.FORBIDDEN,
        },
    )
    def get(self, request):
        query = AnomaliesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = datetime.datetime.now(datetime.UTC)
        today = profile.local_day(now)
        first = today - datetime.timedelta(days=query.validated_data["days"] - 1)
        return Response(volume.anomaly_rows(first, today, now=now))
