from django.apps import AppConfig


class ApiChannelConfig(AppConfig):
    name = "topup.channels.api"
    label = "api_channel"
    default_auto_field = "django.db.models.BigAutoField"
