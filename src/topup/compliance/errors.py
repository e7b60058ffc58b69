"""Errors a compliance officer can cause; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import Conflict, NotFound, ValidationFailed


class ComplianceCaseNotFound(NotFound):
    code = "compliance_case_not_found"
    default_message = _("This compliance case does not exist. Go back to the queue and pick one.")


class ComplianceCaseAlreadyDecided(Conflict):
    code = "compliance_case_already_decided"
    default_message = _(
        "This case was decided already; its decision stands. Reload the case to see it."
    )


class ComplianceDecisionInvalid(ValidationFailed):
    code = "compliance_decision_invalid"
    default_message = _(
        "Choose a decision: clear the case, ask for re-identification or suspend the line."
    )


class ComplianceReasonRequired(ValidationFailed):
    code = "compliance_reason_required"
    default_message = _(
        "Say why you decide this, for example what you checked; the reason stays in the record."
    )


class ComplianceLineTerminated(Conflict):
    code = "compliance_line_terminated"
    default_message = _(
        "This line is terminated: there is no one to ask and nothing to suspend. Clear the case "
        "with a reason instead."
    )


class RetentionRunNotFound(NotFound):
    code = "retention_run_not_found"
    default_message = _("This retention run does not exist. Go back to the list of runs.")
