"""URLs of the back office's disputes screens (included under /backoffice/disputes/)."""

from django.urls import URLPattern, path

from topup.channels.backoffice.disputes import views

urlpatterns: list[URLPattern] = [
    path("", views.dispute_queue, name="dispute-queue"),
    path("<int:dispute_id>", views.dispute_detail, name="dispute-detail"),
    path("<int:dispute_id>/resolve", views.dispute_resolve_submit, name="dispute-resolve"),
    path("<int:dispute_id>/approve", views.dispute_approve_submit, name="dispute-approve"),
]
