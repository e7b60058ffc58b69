"""Rendering a console page: what every page's layout needs (language picker, CSP nonce)."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from topup.core.languages import languages_native
from topup.shops.models import StaffMembership
from topup.subscribers.numbers import format_msisdn_national


def console_languages() -> list[tuple[str, str]]:
    return languages_native()


def console_render(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    membership: StaffMembership | None = None,
    status: int = 200,
) -> HttpResponse:
    page: dict[str, object] = {
        # django-htmx's script tag reads the nonce under this name.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "console_languages": console_languages(),
        "membership": membership,
    }
    page.update(context or {})
    return render(request, template, page, status=status)


def msisdn_masked(e164: str) -> str:
    """`0470 •• •• 56`: enough to check the number with the customer at the counter."""
    national = format_msisdn_national(e164)
    return f"{national[:4]} •• •• {national[-2:]}"
