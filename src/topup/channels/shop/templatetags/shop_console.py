"""Template filters of the agent console: amounts in the page's language, labels of stored codes."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from topup.core.money import format_amount_for_locale

register = template.Library()

# Stored codes (English in the database) as the agent reads them, in the page's language.
_LABELS: dict[str, str | Promise] = {
    # line status
    "awaiting_identification": _("Awaiting identification"),
    "active": _("Active"),
    "suspended": _("Suspended"),
    "terminated": _("Terminated"),
    # holds
    "sim_swap": _("SIM swapped"),
    "device_change": _("Device changed"),
    "information_mismatch": _("Registered information does not match"),
    "reidentification": _("Re-identification requested"),
    # identification methods
    "shop_document": _("Original document in a shop"),
    "online_eid": _("Online with the eID"),
    "certified_service": _("Certified identification service"),
    "online_payment": _("Online payment in the customer's name"),
    "existing_customer": _("Existing customer"),
    # payment methods
    "cash": _("Cash"),
    "card": _("Card"),
    # voids
    "requested": _("Waiting for a manager"),
    "executed": _("Approved and reversed"),
    "refused": _("Refused"),
    # roles
    "shop_agent": _("Shop agent"),
    "shop_manager": _("Shop manager"),
    "partner_retailer": _("Partner retailer"),
    # order status
    "credited": _("Credited"),
    "refunded": _("Refunded"),
    "failed": _("Failed"),
}


@register.filter
def euros(amount_cents: int | None) -> str:
    """`€ 12,50` / `12,50 €`: integer cents as the page's language writes money."""
    if amount_cents is None:
        return ""
    return format_amount_for_locale(int(amount_cents), get_language() or "en")


@register.filter
def label(code: str | None) -> str:
    """The translated label of a stored code; the code itself when there is none."""
    if not code:
        return ""
    return str(_LABELS.get(str(code), code))
