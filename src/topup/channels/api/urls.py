"""URLs of the API channel: /api/v1/ and a JSON 404/405 for anything it does not serve."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, path

from topup.channels.api.api import API_PREFIX, api
from topup.channels.api.errors import MethodNotAllowed, application_error_response
from topup.core.errors import NotFound

View = Callable[..., HttpResponseBase]


def _json_method_not_allowed(view: View) -> View:
    """ninja answers a wrong method with a plain-text 405; give it the one error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        shaped = application_error_response(request, MethodNotAllowed())
        shaped["Allow"] = response["Allow"]
        return shaped

    return wrapped


def _not_found(request: HttpRequest, unmatched: str) -> HttpResponse:
    return application_error_response(request, NotFound())


def _api_patterns() -> list[URLPattern | URLResolver]:
    patterns, _app_name, _namespace = api.urls
    shaped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            shaped.append(pattern)
            continue
        view = _json_method_not_allowed(pattern.callback)
        shaped.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return shaped


urlpatterns: list[URLPattern | URLResolver] = [
    path(API_PREFIX, (_api_patterns(), api.urls_namespace, api.urls_namespace)),
    path(f"{API_PREFIX}<path:unmatched>", _not_found),
]
