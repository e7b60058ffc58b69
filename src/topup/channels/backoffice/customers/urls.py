"""URLs of the back office's customers screens (included under /backoffice/customers/).

Lines are addressed by their internal id and top-ups by theirs: never a phone number in a URL.
"""

from django.urls import URLPattern, path

from topup.channels.backoffice.customers import views

urlpatterns: list[URLPattern] = [
    path("", views.find, name="customer-find"),
    path("<int:sim_id>", views.detail, name="customer-detail"),
    path("<int:sim_id>/correct", views.correct, name="customer-correct"),
    path("<int:sim_id>/reidentify", views.reidentify, name="customer-reidentify"),
    path("topups/<uuid:order_id>", views.topup, name="customer-topup"),
    path(
        "topups/<uuid:order_id>/resend-receipt",
        views.receipt_resend,
        name="customer-receipt-resend",
    ),
]
