"""URLs of the agent console (/shop/). Customer numbers travel in POST bodies, never in URLs."""

from django.urls import URLPattern, URLResolver, path

from topup.channels.shop.console.views import auth, customer, home, orders, till, topup, voids

app_name = "shop"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", home.home, name="home"),
    path("login", auth.login, name="login"),
    path("login/verify", auth.login_verify, name="login-verify"),
    path("two-factor/setup", auth.two_factor_setup, name="two-factor-setup"),
    path("logout", auth.logout, name="logout"),
    path("queue/next", home.queue_next, name="queue-next"),
    path("queue/finish", home.queue_finish, name="queue-finish"),
    path("customer", customer.customer, name="customer"),
    path("customer/identify", customer.identify, name="identify"),
    path("topup", topup.topup, name="topup"),
    path("orders/<uuid:order_id>", orders.order, name="order"),
    path("orders/<uuid:order_id>/print", orders.order_print, name="order-print"),
    path("orders/<uuid:order_id>/receipt.pdf", orders.order_pdf, name="order-pdf"),
    path("orders/<uuid:order_id>/void", orders.order_void, name="order-void"),
    path("voids", voids.voids, name="voids"),
    path("voids/<int:void_id>/decide", voids.void_decide, name="void-decide"),
    path("till", till.till, name="till"),
    path("till/<int:till_close_id>", till.till_result, name="till-result"),
    path("till/<int:till_close_id>/z-report.pdf", till.till_z_report_pdf, name="till-z-report"),
]
