from django.contrib import admin

from topup.catalog import models

for model in (
    models.Operator,
    models.Brand,
    models.Channel,
    models.PaymentMethod,
    models.ChannelPaymentMethod,
    models.Denomination,
    models.Limit,
    models.Plan,
    models.Shop,
    models.Kiosk,
):
    admin.site.register(model)
