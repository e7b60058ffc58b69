"""URLs of the self-care web channel."""

from django.urls import path

from topup.channels.web import views

app_name = "web"
urlpatterns = [
    path("topups/<uuid:order_id>/return", views.topup_return, name="topup-return"),
]
