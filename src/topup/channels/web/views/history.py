"""TEMPORARY placeholders for the history area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def history(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: history.history is being built", status=501)


def history_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: history.history_export is being built", status=501)


def receipt(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: history.receipt is being built", status=501)


def receipt_pdf(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: history.receipt_pdf is being built", status=501)
