"""Errors a back-office user can cause on the dashboards; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ValidationFailed


class DashboardWindowInvalid(ValidationFailed):
    code = "dashboard_window_invalid"
    default_message = _(
        "The dashboards look back between 1 and 168 hours. Choose 6, 24 or 72 hours."
    )
