"""Rendering a back-office page: the navigation the viewer's roles allow, language picker, nonce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError
from topup.core.languages import languages_native
from topup.staff.roles import Permission, staff_may, staff_roles


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    permission: Permission
    area: str


# One entry per area; each area's index route carries this name (see each area's urls.py).
NAVIGATION = (
    NavItem("customer-find", _("Customers"), Permission.CUSTOMER_VIEW, "customers"),
    NavItem("dispute-queue", _("Disputes"), Permission.DISPUTE_VIEW, "disputes"),
    NavItem("compliance-queue", _("Compliance"), Permission.COMPLIANCE_VIEW, "compliance"),
    NavItem("finance-home", _("Finance"), Permission.FINANCE_VIEW, "finance"),
    NavItem("dashboard", _("Dashboards"), Permission.DASHBOARD_VIEW, "dashboards"),
)


def backoffice_navigation(request: HttpRequest) -> list[dict[str, object]]:
    """The areas this viewer may open, with the current one marked."""
    current_area = request.path.removeprefix("/backoffice/").split("/", 1)[0]
    return [
        {
            "url": reverse(f"backoffice:{item.url_name}"),
            "label": item.label,
            "current": item.area == current_area,
        }
        for item in NAVIGATION
        if staff_may(request.user, item.permission)
    ]


def backoffice_render(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    page: dict[str, object] = {
        # django-htmx's script tag reads the nonce under this name.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "backoffice_languages": languages_native(),
        "backoffice_navigation": backoffice_navigation(request),
        "backoffice_roles": sorted(role.value for role in staff_roles(request.user)),
    }
    page.update(context or {})
    return render(request, template, page, status=status)


def backoffice_error(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return backoffice_render(
        request, "backoffice/error.html", {"error": error}, status=error.http_status
    )
