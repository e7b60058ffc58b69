"""URL map: each channel and the payment simulator mount their own urls."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

if settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED:
    # Where staff need a second factor, the admin needs it too (django-otp's admin site).
    admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("topup.config.ops")),
    path("", include("topup.channels.api.urls")),
    path("backoffice/", include("topup.channels.backoffice.urls")),
    path("", include("topup.channels.shop.urls")),
    path("", include("topup.channels.kiosk.urls")),
    path("", include("topup.channels.web.urls")),
    path("simulator/", include("topup.payments.simulator.urls")),
    path("idp/", include("topup.identity.urls")),
]
