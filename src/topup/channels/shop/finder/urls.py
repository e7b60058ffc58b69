"""URLs of the public shop finder."""

from django.urls import URLPattern, URLResolver, path

from topup.channels.shop.finder import views

app_name = "shops"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.finder, name="finder"),
    path("bookings/cancel/", views.booking_cancel_view, name="booking-cancel"),
    path("<slug:code>/", views.shop_detail, name="shop"),
    path("<slug:code>/ticket/", views.ticket_show, name="ticket"),
    path("<slug:code>/ticket/take/", views.ticket_take, name="ticket-take"),
    path("<slug:code>/book/", views.booking, name="booking"),
    path("<slug:code>/book/done/", views.booking_done, name="booking-done"),
]
