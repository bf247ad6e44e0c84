"""The product's URLs plus `/bench/bare`, a DRF view doing nothing: the server's ceiling.

It lives here, not in the product, and only the benchmark's settings route to it.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns


class BareView(APIView):
    """No authentication, no database: DRF's request and response cycle alone."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [*product_urlpatterns, path("bench/bare", BareView.as_view())]
