"""Template context for every page: the logged-in line (if any) and the language picker."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from topup.channels.web.session import web_current_sim
from topup.subscribers.models import Sim

# Each language named in itself, as a picker must show it.
_NATIVE_NAMES = {
    "nl": "Nederlands",
    "fr": "Français",
    "de": "Deutsch",
    "en": "English",
    "zh-hans": "简体中文",
}


def web_context(request: HttpRequest) -> dict[str, object]:
    sim: Sim | None = None
    if request.resolver_match is not None and request.resolver_match.namespace in ("web",):
        sim = web_current_sim(request)
    return {
        # django-htmx's script tag reads the nonce under this name.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "web_sim": sim,
        "web_languages": [(code, _NATIVE_NAMES[code]) for code, _name in settings.LANGUAGES],
    }
