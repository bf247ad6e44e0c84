"""API routes of the notification app; every path answers with and without a trailing slash."""

from django.urls import re_path

from notifications.api.views import ChannelViewSet, DeliveryViewSet

channels = ChannelViewSet.as_view({"get": "list", "post": "create"})
channel = ChannelViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update",
                                  "delete": "destroy"})  # fmt: skip
channel_test = ChannelViewSet.as_view({"post": "test"})
deliveries = DeliveryViewSet.as_view({"get": "list"})
delivery = DeliveryViewSet.as_view({"get": "retrieve"})
delivery_retry = DeliveryViewSet.as_view({"post": "retry"})

urlpatterns = [
    re_path(r"^api/channels/?$", channels, name="channel-list"),
    re_path(r"^api/channels/(?P<pk>[^/]+)/?$", channel, name="channel-detail"),
    re_path(r"^api/channels/(?P<pk>[^/]+)/test/?$", channel_test, name="channel-test"),
    re_path(r"^api/notifications/?$", deliveries, name="notification-list"),
    re_path(r"^api/notifications/(?P<pk>[^/]+)/?$", delivery, name="notification-detail"),
    re_path(r"^api/notifications/(?P<pk>[^/]+)/retry/?$", delivery_retry, name="notification-retry"),
]
