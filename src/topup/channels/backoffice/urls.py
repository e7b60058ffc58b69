"""URLs of the back office (/backoffice/). Each area mounts its own urls under its prefix."""

from django.urls import URLPattern, URLResolver, include, path

from topup.channels.backoffice import views

app_name = "backoffice"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login", views.login, name="login"),
    path("logout", views.logout, name="logout"),
    path("customers/", include("topup.channels.backoffice.customers.urls")),
    path("disputes/", include("topup.channels.backoffice.disputes.urls")),
    path("compliance/", include("topup.channels.backoffice.compliance.urls")),
    path("finance/", include("topup.channels.backoffice.finance.urls")),
    path("dashboards/", include("topup.channels.backoffice.dashboards.urls")),
]
