"""The SMS a customer gets about a dispute, in the customer's language."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from topup.core.money import format_amount_for_locale
from topup.disputes.models import DisputeOutcome

_NO_PIN = gettext_noop("We never ask for your PIN or codes by phone.")


def dispute_received_text(*, receipt_number: str, amount_cents: int, language: str) -> str:
    with translation.override(language):
        body = gettext(
            "We received your report about the top-up of %(amount)s (receipt %(receipt)s). "
            "Customer service will answer you by SMS."
        ) % {
            "amount": format_amount_for_locale(amount_cents, language),
            "receipt": receipt_number,
        }
        return f"{body} {gettext(_NO_PIN)}"


def dispute_outcome_text(
    *,
    outcome: str,
    receipt_number: str,
    amount_cents: int | None,
    msisdn: str,
    language: str,
) -> str:
    """What was decided, in plain words; never the staff's note (it may be internal)."""
    with translation.override(language):
        values = {
            "amount": format_amount_for_locale(amount_cents or 0, language),
            "receipt": receipt_number,
            "msisdn": msisdn,
        }
        if outcome == DisputeOutcome.REFUND:
            body = gettext(
                "About your report on receipt %(receipt)s: we refunded %(amount)s to the card or "
                "account you paid with. It can take a few working days to appear."
            )
        elif outcome == DisputeOutcome.GOODWILL:
            body = gettext(
                "About your report on receipt %(receipt)s: we added %(amount)s of promotional "
                "credit to %(msisdn)s."
            )
        else:
            body = gettext(
                "About your report on receipt %(receipt)s: we checked it and could not accept "
                "it. The reason is in your top-up history on our website."
            )
        return f"{body % values} {gettext(_NO_PIN)}"
