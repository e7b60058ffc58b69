from django.apps import AppConfig


class ShopChannelConfig(AppConfig):
    name = "topup.channels.shop"
    label = "shop_channel"
