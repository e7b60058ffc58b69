from django.apps import AppConfig


class WebChannelConfig(AppConfig):
    name = "topup.channels.web"
    label = "web_channel"
