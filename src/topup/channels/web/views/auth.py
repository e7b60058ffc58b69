"""TEMPORARY placeholders for the auth area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: auth.home is being built", status=501)


def login(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: auth.login is being built", status=501)


def login_code(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: auth.login_code is being built", status=501)


def login_resend(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: auth.login_resend is being built", status=501)


def logout(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: auth.logout is being built", status=501)
