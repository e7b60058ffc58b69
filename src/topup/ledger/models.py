"""Append-only ledger tables: accounts, transfers and their entries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from topup.ledger.domain import AccountType


class AccountKind(models.TextChoices):
    SUBSCRIBER_PAID = "subscriber_paid", "Subscriber paid credit"
    SUBSCRIBER_PROMO = "subscriber_promo", "Subscriber promotional credit"
    PROVIDER_CLEARING = "provider_clearing", "Payment provider clearing"
    SHOP_CASH_DRAWER = "shop_cash_drawer", "Shop cash drawer"
    PARTNER_FLOAT = "partner_float", "Partner shop float"
    REVENUE = "revenue", "Revenue"
    PROMOTION_EXPENSE = "promotion_expense", "Promotions"
    REFUNDS = "refunds", "Refunds"
    EQUITY = "equity", "Operator equity"


class Account(models.Model):
    """A ledger account. `balance_cents` is kept only where `balance_tracked`.

    High-volume system accounts (provider clearing, revenue) are not tracked: their balance is
    derived from entries, so no single row is updated by every transfer.
    """

    code = models.CharField(max_length=100)  # unique: one index, see Meta
    name = models.CharField(max_length=200)
    account_type = models.CharField(
        max_length=16, choices=[(t.value, t.value) for t in AccountType]
    )
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    owner_type = models.CharField(max_length=32, blank=True)
    owner_id = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    balance_tracked = models.BooleanField(default=True)
    may_go_negative = models.BooleanField(default=False)
    balance_cents = models.BigIntegerField(default=0)
    held_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One unique index that also serves prefix (LIKE) lookups, instead of the unique
            # constraint plus the pattern index Django adds for `unique=True` on PostgreSQL.
            models.UniqueConstraint(
                fields=["code"],
                name="ledger_account_code_unique",
                opclasses=["varchar_pattern_ops"],
            ),
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance_cents__gte=models.F("held_cents")),
                name="ledger_account_available_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(held_cents__gte=0), name="ledger_account_held_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance_tracked=True) | Q(may_go_negative=True),
                name="ledger_account_untracked_may_go_negative",
            ),
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return self.code

    @property
    def type(self) -> AccountType:
        return AccountType(self.account_type)


class TransferKind(models.TextChoices):
    POSTED = "posted", "Posted"
    PENDING = "pending", "Pending (hold)"
    POST_PENDING = "post_pending", "Posts a pending transfer"
    VOID_PENDING = "void_pending", "Voids a pending transfer"


class Transfer(models.Model):
    """An immutable movement between two accounts. Never updated; corrections are new rows."""

    idempotency_key = models.CharField(max_length=200)  # unique: one index, see Meta
    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    # No index of their own: an account's movements are found through its entries, and every
    # index here is paid on the hot path of each top-up (bench/ledger_post.py).
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount_cents = models.BigIntegerField()
    reason_code = models.CharField(max_length=64)
    # Unique only where set (partial indexes below): a plain posting pays for no index here.
    pending = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
        db_index=False,
    )
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    actor = models.CharField(max_length=100, blank=True)
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # The idempotency key's one index (every top-up inserts into it): unique, and with
            # the pattern operator class so prefix lookups (`topup:<order>:`) use it too.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="ledger_transfer_idempotency_key_unique",
                opclasses=["varchar_pattern_ops"],
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="ledger_transfer_positive"
            ),
            models.CheckConstraint(
                condition=~Q(debit_account=models.F("credit_account")),
                name="ledger_transfer_two_accounts",
            ),
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="ledger_transfer_settles_a_hold_once",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_transfer_reversed_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents} {self.debit_account_id}->{self.credit_account_id}"


class Entry(models.Model):
    """One side of a posted transfer: positive cents debit the account, negative credit it.

    Keyed by (account, transfer): one entry per account per transfer, and the key is the one
    index, serving an account's entries in transfer order. A transfer's entries are found
    through its two accounts (debit, credit); the ledger never deletes a transfer, so no
    lookup by transfer alone is needed on the hot path.
    """

    pk = models.CompositePrimaryKey("account_id", "transfer_id")
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_cents}"
