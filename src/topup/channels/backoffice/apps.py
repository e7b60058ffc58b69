from django.apps import AppConfig


class BackofficeChannelConfig(AppConfig):
    name = "topup.channels.backoffice"
    label = "backoffice_channel"
