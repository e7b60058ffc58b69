from django.apps import AppConfig


class KiosksConfig(AppConfig):
    name = "topup.kiosks"
    label = "kiosks"
    default_auto_field = "django.db.models.BigAutoField"
