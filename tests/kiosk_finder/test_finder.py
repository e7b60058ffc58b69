"""The public kiosk finder, page and API: only kiosks in service, nearest first."""

from __future__ import annotations

from django.test import Client

from tests.support import FakeClock
from topup.audit.services import Actor
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import (
    KIOSK_HEARTBEAT_STALE_S,
    kiosk_device_maintenance_set,
    kiosk_device_revoke,
    kiosk_heartbeat,
    kiosk_sweep_stale,
)

BRUSSELS = {"latitude": "50.846700", "longitude": "4.352500"}
OPERATOR = Actor(actor_type="staff", actor_id="1")


def _codes(client: Client, **params: str) -> list[str]:
    response = client.get("/api/v1/kiosks", params)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_api_by_coordinates_nearest_first_with_distance(
    client: Client, midi: KioskDevice, liege: KioskDevice
) -> None:
    response = client.get("/api/v1/kiosks", BRUSSELS)
    body = response.json()
    assert [item["code"] for item in body["items"]] == ["kiosk-bru-midi", "kiosk-liege"]
    first, second = body["items"]
    assert 0 < first["distance_km"] < 3
    assert 80 < second["distance_km"] < 100
    assert first["status"] == "in_service"
    assert body["searched_for"] == "coordinates"


def test_api_by_municipality(client: Client, midi: KioskDevice, liege: KioskDevice) -> None:
    assert _codes(client, municipality="Luik") == ["kiosk-liege", "kiosk-bru-midi"]
    assert _codes(client, municipality="Bruxelles", limit="1") == ["kiosk-bru-midi"]


def test_api_errors(client: Client, midi: KioskDevice) -> None:
    unknown = client.get("/api/v1/kiosks", {"municipality": "Atlantis"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "kiosk_finder_place_unknown"
    missing = client.get("/api/v1/kiosks")
    assert missing.json()["error"]["code"] == "kiosk_finder_query_missing"
    assert client.get("/api/v1/kiosks", {"latitude": "91", "longitude": "4"}).status_code == 422


def test_only_kiosks_in_service_are_listed(
    clock: FakeClock, client: Client, midi: KioskDevice, liege: KioskDevice
) -> None:
    kiosk_heartbeat(device=liege, printer_status="out_of_paper", software_version="1")
    assert _codes(client, **BRUSSELS) == ["kiosk-bru-midi"]
    kiosk_heartbeat(device=liege, printer_status="ok", software_version="1")
    kiosk_device_maintenance_set(device=midi, on=True, actor=OPERATOR)
    assert _codes(client, **BRUSSELS) == ["kiosk-liege"]
    kiosk_device_maintenance_set(device=midi, on=False, actor=OPERATOR)
    assert _codes(client, **BRUSSELS) == ["kiosk-bru-midi", "kiosk-liege"]
    kiosk_device_revoke(device=liege, actor=OPERATOR)
    assert _codes(client, **BRUSSELS) == ["kiosk-bru-midi"]


def test_a_silent_kiosk_disappears(
    clock: FakeClock, client: Client, midi: KioskDevice, liege: KioskDevice
) -> None:
    clock.advance(seconds=KIOSK_HEARTBEAT_STALE_S + 1)
    kiosk_heartbeat(device=liege, printer_status="ok", software_version="1")
    # Left out even before the sweep has marked it out of service.
    assert _codes(client, **BRUSSELS) == ["kiosk-liege"]
    assert kiosk_sweep_stale() == 1
    assert _codes(client, **BRUSSELS) == ["kiosk-liege"]


def test_finder_page_by_municipality(client: Client, midi: KioskDevice, liege: KioskDevice) -> None:
    page = client.get("/kiosks/", {"q": "Liège"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Liège-Guillemins station") < text.index("Brussel-Zuid station")
    assert "Place des Guillemins 2" in text


def test_finder_page_by_coordinates_by_post(
    client: Client, midi: KioskDevice, liege: KioskDevice
) -> None:
    kiosk_heartbeat(device=liege, printer_status="out_of_paper", software_version="1")
    page = client.post("/kiosks/", BRUSSELS)
    text = page.content.decode()
    assert "Brussel-Zuid station" in text
    assert "Liège-Guillemins station" not in text


def test_finder_page_errors_and_languages(client: Client, midi: KioskDevice) -> None:
    assert client.get("/kiosks/", {"q": "Atlantis"}).status_code == 422
    assert client.get("/kiosks/", {"q": "1000"}).status_code == 422
    assert client.get("/kiosks/").status_code == 200
    for language, phrase in (
        ("nl", 'lang="nl"'),
        ("fr", 'lang="fr"'),
        ("de", 'lang="de"'),
        ("zh-hans", 'lang="zh-hans"'),
    ):
        page = client.get("/kiosks/", HTTP_ACCEPT_LANGUAGE=language)
        assert phrase in page.content.decode()


def test_no_kiosk_in_service(client: Client, midi: KioskDevice, liege: KioskDevice) -> None:
    for device in (midi, liege):
        kiosk_device_revoke(device=device, actor=OPERATOR)
    page = client.get("/kiosks/", {"q": "Gent"})
    assert "No kiosk is in service nearby right now" in page.content.decode()
    assert _codes(client, municipality="Gent") == []
