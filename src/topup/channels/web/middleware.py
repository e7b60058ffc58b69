"""Language for the website: the picker's choice, then the account setting, then Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from topup.channels.web.session import web_current_sim


class AccountLanguageMiddleware:
    """Runs after LocaleMiddleware: with no picker cookie, a logged-in line's language wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and hasattr(request, "session"):
            language = _account_language(request)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def _account_language(request: HttpRequest) -> str | None:
    # The same read as the view's (web_current_sim remembers it for the request).
    sim = web_current_sim(request)
    if sim is None or sim.subscriber is None:
        return None
    language = sim.subscriber.preferred_language
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else None
