"""URLs of the back office's finance screens (included under /backoffice/finance/)."""

from django.urls import URLPattern, path

from topup.channels.backoffice.finance import views

urlpatterns: list[URLPattern] = [
    path("", views.finance_home, name="finance-home"),
    path("reports/upload", views.finance_report_upload, name="finance-report-upload"),
    path("reports/<int:report_id>", views.finance_report, name="finance-report"),
    path("reports/<int:report_id>/items.csv", views.finance_report_csv, name="finance-report-csv"),
    path("items/<int:item_id>/resolve", views.finance_item_resolve, name="finance-item-resolve"),
    path("trial-balance", views.finance_trial_balance, name="finance-trial-balance"),
    path("trial-balance.csv", views.finance_trial_balance_csv, name="finance-trial-balance-csv"),
    path("simulator-report.csv", views.finance_simulator_report, name="finance-simulator-report"),
]
