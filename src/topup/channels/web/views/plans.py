"""TEMPORARY placeholders for the plans area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def plans(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: plans.plans is being built", status=501)
