"""Errors a shop agent can cause at the counter: each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationFailed


class StaffNotAssigned(PermissionDenied):
    code = "staff_not_assigned"
    default_message = _("Your account is not assigned to a shop. Ask your shop manager.")


class OtherShop(PermissionDenied):
    code = "other_shop"
    default_message = _("This belongs to another shop. Open it from that shop's console.")


class VoidApprovalNotAllowed(PermissionDenied):
    code = "void_approval_not_allowed"
    default_message = _(
        "Only a manager of this shop, other than the one who asked, can approve a void."
    )


class FloatExhausted(Conflict):
    code = "float_exhausted"
    default_message = _(
        "The shop's prepaid float is too low for this top-up. Sell a smaller amount or "
        "top up the float with the operator."
    )


class CardDeclined(ApplicationError):
    code = "card_declined"
    http_status = 402
    default_message = _("The card was declined. Nothing was charged. Ask for another card or cash.")


class TerminalError(ApplicationError):
    code = "terminal_error"
    http_status = 503
    default_message = _("The card terminal had a problem. Nothing was charged. Try again.")


class VoidWindowClosed(Conflict):
    code = "void_window_closed"
    default_message = _(
        "A counter sale can be voided only within 15 minutes. Send the customer to "
        "customer service for a refund."
    )


class VoidNotPossible(Conflict):
    code = "void_not_possible"
    default_message = _("This sale cannot be voided. Check its status and try again.")


class CreditAlreadySpent(Conflict):
    code = "credit_already_spent"
    default_message = _(
        "The customer has already used this credit, so the sale cannot be voided. "
        "Send the customer to customer service."
    )


class NoCashDrawer(Conflict):
    code = "no_cash_drawer"
    default_message = _(
        "A partner shop keeps its own cash: there is no till to close in the operator's system."
    )


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    default_message = _("Type an amount in euros, for example 20 or 20,50.")


class CustomerHasNoSubscriber(ValidationFailed):
    code = "customer_has_no_subscriber"
    default_message = _(
        "This line has no customer record yet. Register the customer first, then identify them."
    )


class VoidReasonMissing(ValidationFailed):
    code = "void_reason_missing"
    default_message = _("Say why the sale must be voided.")
