"""URLs of the kiosk channel: the device screens and the public finder."""

from django.urls import include, path

urlpatterns = [
    path("kiosk/", include("topup.channels.kiosk.device.urls")),
    path("kiosks/", include("topup.channels.kiosk.finder.urls")),
]
