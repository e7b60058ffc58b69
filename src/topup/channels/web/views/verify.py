"""TEMPORARY placeholders for the verify area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def verify(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: verify.verify is being built", status=501)


def verify_start(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: verify.verify_start is being built", status=501)


def verify_callback(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: verify.verify_callback is being built", status=501)


def verify_shops(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: verify.verify_shops is being built", status=501)
