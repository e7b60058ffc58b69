"""Language for the website: the picker's choice, then the account setting, then Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from topup.subscribers.models import Sim

_SESSION_SIM = "topup_sim_id"


class AccountLanguageMiddleware:
    """Runs after LocaleMiddleware: with no picker cookie, a logged-in line's language wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and hasattr(request, "session"):
            language = _account_language(request.session.get(_SESSION_SIM))
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def _account_language(sim_id: object) -> str | None:
    if not isinstance(sim_id, int):
        return None
    language = (
        Sim.objects.filter(pk=sim_id)
        .values_list("subscriber__preferred_language", flat=True)
        .first()
    )
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else None
