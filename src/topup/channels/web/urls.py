"""URLs of the self-care web channel. Personal data never goes in a URL: numbers travel in POSTs."""

from django.urls import path

from topup.channels.web.views import (
    account,
    auth,
    disputes,
    history,
    kiosk_handoff,
    plans,
    preferences,
    topup,
    verify,
)

app_name = "web"
urlpatterns = [
    path("", auth.home, name="home"),
    path("login", auth.login, name="login"),
    path("login/code", auth.login_code, name="login-code"),
    path("login/resend", auth.login_resend, name="login-resend"),
    path("logout", auth.logout, name="logout"),
    path("account", account.account, name="account"),
    path("help", account.help_page, name="help"),
    path("topup", topup.topup_form, name="topup"),
    path("topup/confirm", topup.topup_confirm, name="topup-confirm"),
    path("topups/<uuid:order_id>/return", topup.topup_return, name="topup-return"),
    path("topups/<uuid:order_id>/status", topup.topup_status, name="topup-status"),
    path("topups/<uuid:order_id>/retry", topup.topup_retry, name="topup-retry"),
    path("plans", plans.plans, name="plans"),
    path("history", history.history, name="history"),
    path("history/export.csv", history.history_export, name="history-export"),
    path("history/<uuid:order_id>/receipt", history.receipt, name="receipt"),
    path("history/<uuid:order_id>/receipt.pdf", history.receipt_pdf, name="receipt-pdf"),
    path("history/<uuid:order_id>/dispute", disputes.dispute_open_page, name="dispute-open"),
    path("disputes/<int:dispute_id>", disputes.dispute_detail, name="dispute-detail"),
    path("settings", preferences.preferences, name="settings"),
    path("settings/numbers", preferences.saved_number_add, name="saved-number-add"),
    path(
        "settings/numbers/<int:saved_number_id>/delete",
        preferences.saved_number_delete,
        name="saved-number-delete",
    ),
    path("verify", verify.verify, name="verify"),
    path("verify/start", verify.verify_start, name="verify-start"),
    path("verify/callback", verify.verify_callback, name="verify-callback"),
    path("verify/shops", verify.verify_shops, name="verify-shops"),
    path("kiosk-handoff/<str:token>", kiosk_handoff.kiosk_handoff, name="kiosk-handoff"),
]
