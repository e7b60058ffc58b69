"""The kiosk finder's fixtures are the kiosk fleet's: demo kiosks, enrolled and in service."""

from tests.kiosks.conftest import credentials, demo, liege, midi

__all__ = ["credentials", "demo", "liege", "midi"]
