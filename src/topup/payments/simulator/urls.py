"""URLs of the payment simulator's hosted pages."""

from django.urls import URLPattern, URLResolver, path

from topup.payments.simulator.views import simulator_pay_page

app_name = "simulator"

urlpatterns: list[URLPattern | URLResolver] = [
    path("pay/<str:payment_id>", simulator_pay_page, name="pay"),
]
