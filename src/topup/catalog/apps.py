from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    name = "topup.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Not a business rule: the per-process catalog cache forgets what any save changes.
        # QuerySet.update() sends no signal: call catalog_cache_clear() after one.
        from topup.catalog import models
        from topup.catalog.selectors import catalog_cache_clear

        def forget(**_kwargs: object) -> None:
            catalog_cache_clear()

        for model in (
            models.Channel,
            models.PaymentMethod,
            models.ChannelPaymentMethod,
            models.Denomination,
            models.Limit,
        ):
            uid = f"catalog_cache:{model.__name__}"
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=uid)
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=uid)
