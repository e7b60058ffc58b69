from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "topup.cli"
    label = "cli"
    default_auto_field = "django.db.models.BigAutoField"
