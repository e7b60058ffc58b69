from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "topup.finance"
    label = "finance"
    default_auto_field = "django.db.models.BigAutoField"
