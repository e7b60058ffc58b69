from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "topup.compliance"
    label = "compliance"
    default_auto_field = "django.db.models.BigAutoField"
