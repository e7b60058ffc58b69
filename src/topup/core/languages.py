"""The platform's languages, each named in itself as a language picker must show it."""

from __future__ import annotations

from typing import Final

from django.conf import settings

NATIVE_NAMES: Final[dict[str, str]] = {
    "nl": "Nederlands",
    "fr": "Français",
    "de": "Deutsch",
    "en": "English",
    "zh-hans": "简体中文",
}


def languages_native() -> list[tuple[str, str]]:
    """(code, native name) for every language in settings.LANGUAGES, in that order."""
    return [(code, NATIVE_NAMES.get(code, str(name))) for code, name in settings.LANGUAGES]
