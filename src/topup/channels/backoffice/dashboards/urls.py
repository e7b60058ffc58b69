"""URLs of the back office's dashboards screens (included under /backoffice/dashboards/)."""

from django.urls import URLPattern, path

from topup.channels.backoffice.dashboards import views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
]
