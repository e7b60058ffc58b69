"""URLs of the kiosk screens."""

from django.urls import URLPattern, URLResolver

app_name = "kiosk"
urlpatterns: list[URLPattern | URLResolver] = []
