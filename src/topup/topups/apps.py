from django.apps import AppConfig


class TopupsConfig(AppConfig):
    name = "topup.topups"
    label = "topups"
    default_auto_field = "django.db.models.BigAutoField"
