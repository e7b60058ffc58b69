"""TEMPORARY placeholders for the preferences area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def preferences(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: preferences.preferences is being built", status=501)


def saved_number_add(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: preferences.saved_number_add is being built", status=501)


def saved_number_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: preferences.saved_number_delete is being built", status=501)
