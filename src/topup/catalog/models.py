"""What the operator sells and where: operator, brands, channels, payment methods, limits, plans."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Operator(models.Model):
    name = models.CharField(max_length=100)
    legal_name = models.CharField(max_length=200)
    vat_number = models.CharField(max_length=20)
    address = models.CharField(max_length=255)
    support_phone = models.CharField(max_length=32, blank=True)
    support_url = models.URLField(blank=True)

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="brands")
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    sms_sender_name = models.CharField(max_length=11)  # alphanumeric sender ids have 11 chars max

    def __str__(self) -> str:
        return self.name


class ChannelCode(models.TextChoices):
    ONLINE = "online", "Online"
    SHOP = "shop", "Shop counter"
    KIOSK = "kiosk", "Self-service kiosk"


class Channel(models.Model):
    code = models.CharField(max_length=16, choices=ChannelCode.choices, unique=True)
    enabled = models.BooleanField(default=True)
    min_amount_cents = models.PositiveIntegerField(default=500)
    max_amount_cents = models.PositiveIntegerField(default=15000)
    free_amount_allowed = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount_cents__gt=0)
                & Q(max_amount_cents__gte=models.F("min_amount_cents")),
                name="catalog_channel_amount_range",
            )
        ]

    def __str__(self) -> str:
        return self.code


class PaymentMethodCode(models.TextChoices):
    CARD = "card", "Visa / Mastercard"
    BANCONTACT = "bancontact", "Bancontact"
    ALIPAY = "alipay", "Alipay"
    WECHAT_PAY = "wechat_pay", "WeChat Pay"
    SEPA_DIRECT_DEBIT = "sepa_direct_debit", "SEPA direct debit"
    CASH = "cash", "Cash"


class PaymentMethod(models.Model):
    code = models.CharField(max_length=32, choices=PaymentMethodCode.choices, unique=True)
    provider = models.CharField(max_length=32, default="simulator")
    recurring_capable = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.code


class ChannelPaymentMethod(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="payment_methods")
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.CASCADE)
    enabled = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        unique_together = [("channel", "payment_method")]
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.payment_method_id}"


class Denomination(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="denominations")
    amount_cents = models.PositiveIntegerField()
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        unique_together = [("channel", "amount_cents")]
        ordering = ["sort_order", "amount_cents"]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.amount_cents}"


class LimitScope(models.TextChoices):
    SUBSCRIBER = "subscriber", "Per subscriber (target line)"
    PAYMENT_INSTRUMENT = "payment_instrument", "Per payment instrument"


class LimitPeriod(models.TextChoices):
    TRANSACTION = "transaction", "Per transaction"
    DAY = "day", "Per day"
    MONTH = "month", "Per month"


class Limit(models.Model):
    """A ceiling on top-up amounts; a channel of null applies to every channel."""

    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="limits"
    )
    scope = models.CharField(max_length=32, choices=LimitScope.choices)
    period = models.CharField(max_length=16, choices=LimitPeriod.choices)
    max_amount_cents = models.PositiveIntegerField()

    class Meta:
        unique_together = [("channel", "scope", "period")]

    def __str__(self) -> str:
        return f"{self.channel_id or '*'} {self.scope}/{self.period} ≤ {self.max_amount_cents}"


class Plan(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="plans")
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    price_cents = models.PositiveIntegerField()
    data_mb = models.PositiveIntegerField(default=0)
    voice_minutes = models.PositiveIntegerField(default=0)
    sms_count = models.PositiveIntegerField(default=0)
    validity_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class ShopKind(models.TextChoices):
    OPERATOR = "operator", "Operator shop"
    PARTNER = "partner", "Partner shop"


class Shop(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ShopKind.choices)
    address = models.CharField(max_length=255)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    opening_hours = models.CharField(max_length=255, blank=True)
    languages = models.CharField(max_length=64, default="nl,fr,en")

    def __str__(self) -> str:
        return self.name


class Kiosk(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=255)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    in_service = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name
