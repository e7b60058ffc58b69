"""Every back-office route against every role: the expected allow/deny is the table below.

A route missing from the table, or a route not guarded by `backoffice_view`, fails the test, so a
new screen cannot ship without deciding who may use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.backoffice.conftest import StaffClientFactory
from topup.channels.backoffice.auth import VIEW_PERMISSIONS

pytestmark = pytest.mark.django_db

CS, COMPLIANCE, FINANCE, OPS = "customer_service", "compliance", "finance", "operations"
ROLES = (CS, COMPLIANCE, FINANCE, OPS)

# route name → the roles that may use it (the administrator may use every route).
EXPECTED: dict[str, frozenset[str]] = {
    "customer-find": frozenset({CS, COMPLIANCE}),
    "customer-detail": frozenset({CS, COMPLIANCE}),
    "customer-correct": frozenset({CS}),
    "customer-reidentify": frozenset({CS}),
    "customer-topup": frozenset({CS, COMPLIANCE}),
    "customer-receipt-resend": frozenset({CS}),
    "dispute-queue": frozenset({CS, FINANCE}),
    "dispute-detail": frozenset({CS, FINANCE}),
    "dispute-resolve": frozenset({CS}),
    "dispute-approve": frozenset({CS, FINANCE}),
    "compliance-queue": frozenset({COMPLIANCE}),
    "compliance-case": frozenset({COMPLIANCE}),
    "compliance-case-decide": frozenset({COMPLIANCE}),
    "compliance-retention": frozenset({COMPLIANCE}),
    "compliance-retention-run": frozenset({COMPLIANCE}),
    "compliance-retention-report": frozenset({COMPLIANCE}),
    "compliance-scan": frozenset({COMPLIANCE}),
    "finance-home": frozenset({FINANCE}),
    "finance-report": frozenset({FINANCE}),
    "finance-report-csv": frozenset({FINANCE}),
    "finance-report-upload": frozenset({FINANCE}),
    "finance-simulator-report": frozenset({FINANCE}),
    "finance-item-resolve": frozenset({FINANCE}),
    "finance-trial-balance": frozenset({FINANCE}),
    "finance-trial-balance-csv": frozenset({FINANCE}),
    "dashboard": frozenset({CS, COMPLIANCE, FINANCE, OPS}),
}
# Routes open before login, or guarded by their own rule (home: any back-office role).
UNGUARDED = {"home", "login", "logout"}


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    guarded: bool


def _placeholder(converter: str) -> object:
    return uuid.UUID(int=1) if converter == "uuid" else 1


def _routes() -> Iterator[Route]:
    backoffice = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "backoffice"
    )
    yield from _walk(backoffice.url_patterns)


def _walk(patterns: list[URLPattern | URLResolver]) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
            continue
        assert pattern.name, f"unnamed back-office route {pattern.pattern}"
        converters = pattern.pattern.converters
        kwargs = {
            name: _placeholder(type(conv).__name__.removesuffix("Converter").lower())
            for name, conv in converters.items()
        }
        yield Route(
            pattern.name,
            reverse(f"backoffice:{pattern.name}", kwargs=kwargs),
            pattern.callback in VIEW_PERMISSIONS,
        )


ALL_ROUTES = sorted({r.name for r in _routes()} - UNGUARDED)


def test_every_route_is_guarded_and_in_the_table() -> None:
    routes = list(_routes())
    unguarded = [r.name for r in routes if not r.guarded and r.name not in UNGUARDED]
    assert unguarded == []
    assert sorted(EXPECTED) == ALL_ROUTES


def _route(name: str) -> Route:
    return next(r for r in _routes() if r.name == name)


@pytest.mark.parametrize("role", [*ROLES, None, "admin"])
@pytest.mark.parametrize("name", ALL_ROUTES)
def test_role_against_route(name: str, role: str | None, staff_client: StaffClientFactory) -> None:
    route = _route(name)
    client = staff_client(None, superuser=True) if role == "admin" else staff_client(role)
    allowed = role == "admin" or (role is not None and role in EXPECTED[name])
    for method in ("get", "post"):
        response = getattr(client, method)(route.path)
        if allowed:
            assert response.status_code != 403, f"{role} refused {method.upper()} {route.path}"
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (
                f"{role} got {response.status_code} on {method.upper()} {route.path}"
            )


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_anonymous_is_sent_to_the_login_page(name: str, client: Client) -> None:
    response = client.get(_route(name).path)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login?next=")
