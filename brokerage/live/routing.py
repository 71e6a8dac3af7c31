"""WebSocket routes (stocklab.asgi): the one live endpoint."""

from django.urls import path

from brokerage.live.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/v1/live", LiveConsumer.as_asgi(), name="live"),
]
