"""URLs of the kiosk screens (mounted at /kiosk/). No URL carries a phone number."""

from django.urls import URLPattern, URLResolver, path

from topup.channels.kiosk.device.views import device, identity, purchase

app_name = "kiosk"
urlpatterns: list[URLPattern | URLResolver] = [
    path("enrol/<str:code>", device.enrol, name="enrol"),
    path("", device.attract, name="attract"),
    path("language", device.language, name="language"),
    path("end", device.end, name="end"),
    path("done", device.done, name="done"),
    path("heartbeat", device.heartbeat, name="heartbeat"),
    path("identify", identity.identify, name="identify"),
    path("identify/card", identity.identify_card, name="identify-card"),
    path("identify/phone", identity.identify_phone, name="identify-phone"),
    path("identify/phone/status", identity.identify_phone_status, name="identify-phone-status"),
    path("number", purchase.number, name="number"),
    path("number/confirm", purchase.number_confirm, name="number-confirm"),
    path("amount", purchase.amount, name="amount"),
    path("summary", purchase.summary, name="summary"),
    path("pay/card", purchase.pay_card, name="pay-card"),
    path("pay/bancontact", purchase.pay_bancontact, name="pay-bancontact"),
    path("pay/status", purchase.pay_status, name="pay-status"),
    path("receipt", purchase.receipt, name="receipt"),
    path("receipt/screen", purchase.receipt_screen, name="receipt-screen"),
]
