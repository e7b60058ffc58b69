"""URLs of the public kiosk finder (mounted at /kiosks/)."""

from django.urls import URLPattern, URLResolver, path

from topup.channels.kiosk.finder import views

app_name = "kiosks"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.finder, name="finder"),
    path("receipts/<str:token>", views.receipt, name="receipt"),
]
