from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "topup.staff"
    label = "staff"
    default_auto_field = "django.db.models.BigAutoField"
