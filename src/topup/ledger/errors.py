"""Errors the ledger raises when a caller asks for something it refuses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, Conflict


class InsufficientBalance(ApplicationError):
    code = "insufficient_balance"
    http_status = 409
    default_message = _("There is not enough credit for this. Top up first, then try again.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _(
        "This idempotency key was already used for a different request. Use a new key."
    )


class TransferNotPending(Conflict):
    code = "transfer_not_pending"
    default_message = _("This hold was already settled or released.")


class TransferNotReversible(Conflict):
    code = "transfer_not_reversible"
    default_message = _("This movement cannot be reversed (it is a hold or already reversed).")
