"""Shop staff, the ledger accounts of a shop, counter voids and till closes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from topup.catalog.models import Shop
from topup.ledger.models import Account, Transfer
from topup.topups.models import TopupOrder


class StaffRole(models.TextChoices):
    SHOP_AGENT = "shop_agent", "Shop agent"
    SHOP_MANAGER = "shop_manager", "Shop manager"
    PARTNER_RETAILER = "partner_retailer", "Partner retailer"


class StaffMembership(models.Model):
    """Which shop a staff user works at, and in what role. One shop per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_membership"
    )
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=32, choices=StaffRole.choices)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.shop_id} ({self.role})"


class ShopAccounts(models.Model):
    """The ledger accounts of one shop: a cash drawer (operator shops) or a float (partners)."""

    shop = models.OneToOneField(Shop, on_delete=models.PROTECT, related_name="accounts")
    cash_drawer = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    float_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commission_basis_points = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "shop accounts"
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_basis_points__lte=10_000),
                name="shops_commission_at_most_100_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"accounts of shop {self.shop_id}"


class CounterSale(models.Model):
    """A top-up sold at a counter: which shop and agent sold it, how it was paid, its commission.

    The order itself lives in topups; this row links it to the shop (for the shop's own views,
    voids and the Z report). The card is known only by the terminal's token, a masked number
    and a fingerprint: never the card number.
    """

    order = models.OneToOneField(TopupOrder, on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payment_method = models.CharField(max_length=16)  # "cash" or "card"
    amount_cents = models.PositiveIntegerField()
    funding_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    terminal_token = models.CharField(max_length=64, blank=True)
    commission_cents = models.PositiveIntegerField(default=0)
    commission_transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sold_at = models.DateTimeField()

    class Meta:
        ordering = ["-sold_at"]
        indexes = [models.Index(fields=["shop", "sold_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="shops_sale_positive"),
        ]

    def __str__(self) -> str:
        return f"sale {self.order_id} at {self.shop_id}"


class VoidStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    EXECUTED = "executed", "Executed"
    REFUSED = "refused", "Refused"


class CounterVoid(models.Model):
    """An agent asks to undo a counter sale; a manager of the same shop executes it."""

    order = models.ForeignKey(TopupOrder, on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=255)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=VoidStatus.choices, default=VoidStatus.REQUESTED
    )
    reversal_transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # At most one void in flight or done per order; a refused one may be asked again.
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status="refused"),
                name="shops_one_live_void_per_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="executed") | Q(reversal_transfer__isnull=False),
                name="shops_executed_void_has_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"void {self.pk} of {self.order_id} ({self.status})"


class TillClose(models.Model):
    """End of day at an operator shop: counted cash against the drawer's ledger balance."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField()
    expected_cents = models.BigIntegerField()
    counted_cents = models.BigIntegerField()
    difference_cents = models.BigIntegerField()
    difference_transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deposit_transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    z_report_number = models.CharField(max_length=48, unique=True)

    class Meta:
        ordering = ["-closed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(counted_cents__gte=0), name="shops_till_counted_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(
                    difference_cents=models.F("counted_cents") - models.F("expected_cents")
                ),
                name="shops_till_difference_is_count_minus_expected",
            ),
        ]

    def __str__(self) -> str:
        return self.z_report_number
