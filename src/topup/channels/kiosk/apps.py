from django.apps import AppConfig


class KioskChannelConfig(AppConfig):
    name = "topup.channels.kiosk"
    label = "kiosk_channel"
