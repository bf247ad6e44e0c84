"""`GET /healthz/worker`: whether any worker has been seen in the last minute."""

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.jobs import WORKER_GONE_AFTER
from notifications.models import WorkerBeat


@never_cache
@require_GET
def worker_health(request):
    """200 when a worker beat in the last 60 seconds; 503 otherwise (also when none ever ran)."""
    try:
        latest = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    except DatabaseError as error:
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    seen = latest.isoformat() if latest else None
    if latest is None or latest < timezone.now() - WORKER_GONE_AFTER:
        return JsonResponse({"status": "no worker", "last_seen": seen}, status=503)
    return JsonResponse({"status": "ok", "last_seen": seen})
