"""URLs of the public kiosk finder."""

from django.urls import URLPattern, URLResolver

app_name = "kiosks"
urlpatterns: list[URLPattern | URLResolver] = []
