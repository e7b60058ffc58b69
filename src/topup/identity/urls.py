"""URLs of the identity provider simulator (mounted under idp/)."""

from django.urls import URLPattern, URLResolver, path

from topup.identity.simulator.views import simulator_authorize

app_name = "idp"

urlpatterns: list[URLPattern | URLResolver] = [
    path("authorize", simulator_authorize, name="authorize"),
]
