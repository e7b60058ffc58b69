"""Template context for every page: the logged-in line (if any) and the language picker."""

from __future__ import annotations

from django.http import HttpRequest

from topup.channels.web.session import web_current_sim
from topup.core.languages import languages_native
from topup.subscribers.models import Sim


def web_context(request: HttpRequest) -> dict[str, object]:
    sim: Sim | None = None
    if request.resolver_match is not None and request.resolver_match.namespace in ("web",):
        sim = web_current_sim(request)
    return {
        # django-htmx's script tag reads the nonce under this name.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "web_sim": sim,
        "web_languages": languages_native(),
    }
