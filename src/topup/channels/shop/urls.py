"""URLs of the shop channel: the console (staff only) and the public finder."""

from django.urls import include, path

urlpatterns = [
    path("shop/", include("topup.channels.shop.console.urls")),
    path("shops/", include("topup.channels.shop.finder.urls")),
]
