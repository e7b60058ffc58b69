"""URL map: each channel and the payment simulator mount their own urls."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("topup.config.ops")),
    path("", include("topup.channels.api.urls")),
    path("", include("topup.channels.shop.urls")),
    path("", include("topup.channels.web.urls")),
    path("simulator/", include("topup.payments.simulator.urls")),
    path("idp/", include("topup.identity.urls")),
]
