from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "topup.shops"
    label = "shops"
    default_auto_field = "django.db.models.BigAutoField"
