from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "topup.subscribers"
    label = "subscribers"
    default_auto_field = "django.db.models.BigAutoField"
