"""Errors customers and staff can cause with disputes; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class DisputeNotFound(NotFound):
    code = "dispute_not_found"
    default_message = _("We could not find this case. Go back to the list and open it from there.")


class DisputeOrderNotEligible(Conflict):
    code = "dispute_order_not_eligible"
    default_message = _(
        "You can report a problem once a top-up is credited. A payment still being processed "
        "settles by itself within minutes, and a failed top-up was not charged. If it stays "
        "like this, contact customer service."
    )


class DisputeAlreadyOpen(Conflict):
    code = "dispute_already_open"
    default_message = _(
        "A report about this top-up is already open. We will answer it by SMS; you can follow it "
        "in your history."
    )


class DisputeReasonUnknown(ValidationFailed):
    code = "dispute_reason_unknown"
    default_message = _("Choose one of the reasons in the list.")


class DisputeMessageRequired(ValidationFailed):
    code = "dispute_message_required"
    default_message = _("Describe the problem in a few words, then send the report again.")


class DisputeTextTooLong(ValidationFailed):
    code = "dispute_text_too_long"
    default_message = _("This text is too long. Shorten it to at most 1000 characters.")


class DisputeOutcomeUnknown(ValidationFailed):
    code = "dispute_outcome_unknown"
    default_message = _("Choose refund, goodwill credit or reject.")


class DisputeAmountInvalid(ValidationFailed):
    code = "dispute_amount_invalid"
    default_message = _("Enter an amount of at least 0.01 euro for a refund or goodwill credit.")


class GoodwillAboveOrderAmount(ValidationFailed):
    code = "goodwill_above_order_amount"
    default_message = _(
        "Goodwill credit cannot be more than the top-up's amount. Enter at most the amount shown."
    )


class DisputeNoteRequired(ValidationFailed):
    code = "dispute_note_required"
    default_message = _(
        "Write the reason for rejecting in the note: the customer can read the outcome."
    )


class DisputeAlreadyDecided(Conflict):
    code = "dispute_already_decided"
    default_message = _(
        "This case was already decided differently. Reload the page to see its outcome."
    )


class DisputeNotAwaitingApproval(Conflict):
    code = "dispute_not_awaiting_approval"
    default_message = _("This case is not waiting for an approval. Reload the page to see it.")


class DisputeRefundInProgress(Conflict):
    code = "dispute_refund_in_progress"
    default_message = _(
        "A refund for this case was started and may have reached the payment provider. Retry "
        "the refund with the same amount; it will not be paid twice."
    )


class FourEyesSameStaff(PermissionDenied):
    code = "four_eyes_same_staff"
    default_message = _(
        "You proposed this decision, so someone else must approve it. Ask a colleague with the "
        "approval permission."
    )
