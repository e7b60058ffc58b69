"""URLs of the back office's compliance screens (included under /backoffice/compliance/)."""

from django.urls import URLPattern, path

from topup.channels.backoffice.compliance import views

urlpatterns: list[URLPattern] = [
    path("", views.compliance_queue, name="compliance-queue"),
    path("scan", views.compliance_scan_submit, name="compliance-scan"),
    path("cases/<int:case_id>", views.compliance_case, name="compliance-case"),
    path(
        "cases/<int:case_id>/decide",
        views.compliance_case_decide_submit,
        name="compliance-case-decide",
    ),
    path("retention", views.compliance_retention, name="compliance-retention"),
    path("retention/run", views.compliance_retention_run, name="compliance-retention-run"),
    path(
        "retention/<int:run_id>",
        views.compliance_retention_report,
        name="compliance-retention-report",
    ),
]
