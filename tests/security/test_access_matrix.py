"""Who may open what, across every channel: one table, every route against the ten roles.

Rows are every route the URL resolver knows (the API v1 operations, the website, the shop
console and finder, the kiosk screens and finder, the back office, the admin, the operations
endpoints and the simulators); a route missing from the table fails the test, so a new endpoint
cannot ship without deciding who may use it. Back-office rows are not copied: they come from
the back office's own table (tests/backoffice/test_authorization_matrix.py, EXPECTED), which
checks the four back-office roles in depth; here they meet the other six callers.

A cell is Y (allowed: neither 401 nor 403, nor a redirect to a login page, nor a 404 where the
row names a real object; no server error), - (denied: 401, 403, 404 or a redirect to a login
page, as the channel answers) or o (a login or logout step: any answer but 401/403 or an error).
Where a channel answers a refused action like a done one (the console and the website send the
browser back to the list with a message), the row is judged by its effect instead: the void is
decided, the saved number is deleted, or not. The payment webhook's credential is its signature:
nobody in the table holds one, and the channel refuses a forged one with 400.

The callers, each on its own channel's credential (a fresh session per request, so that a
logout row cannot log the next row out):
- anonymous: no credential at all;
- subscriber: line +32470000001, logged in on the website and holding an API Bearer token;
  the objects in the URLs (its top-up, dispute, saved number) are its own;
- other subscriber: line +32470000002, logged in the same way; the same URLs are not its own;
- shop agent: agent.brussels of bru-central. The sale and void rows are at antwerp-night (another
  shop for the agent); the till rows are bru-central's (its own shop, and another for the partner);
- partner retailer: partner.antwerp of antwerp-night (the sale and the void are its own);
- kiosk: a browser enrolled as kiosk-bru-midi (the device cookie);
- customer service, compliance, finance: back-office staff in that role;
- admin: the operator's administrator (superuser).
Capability URLs (a top-up's status by its UUID, a kiosk receipt link, a payment page, an
enrolment code) are open to whoever holds the link, with personal data masked for anyone but
the line's own subscriber; the API hides another line's top-up from a logged-in subscriber.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pytest_django.fixtures import Settings

from tests.backoffice.test_authorization_matrix import EXPECTED as BACKOFFICE_EXPECTED
from tests.security.conftest import (
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    SUCCEEDS,
    order_create,
)
from tests.security.conftest import order_paid as security_order_paid
from topup.audit.services import Actor
from topup.core.sessions import SessionStore
from topup.disputes.services import dispute_open
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import (
    kiosk_device_enrol,
    kiosk_qr_handoff_create,
    kiosk_receipt_link,
    kiosk_session_card_insert,
    kiosk_session_end,
    kiosk_session_pay_card,
    kiosk_session_set_amount,
    kiosk_session_set_target,
    kiosk_session_start,
    kiosks_demo_setup,
)
from topup.shops.models import CounterVoid, VoidStatus
from topup.shops.services import (
    shop_demo_setup,
    shop_till_close,
    shop_topup_cash,
    shop_void_request,
    staff_membership_get,
)
from topup.subscribers.models import SavedNumber, Sim
from topup.subscribers.services import access_token_issue, saved_number_add

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

ROLES: Final = ("anon", "sub", "oth", "agt", "ptr", "ksk", "cs", "cmp", "fin", "adm")
BACKOFFICE_ROLE_OF: Final = {"cs": "customer_service", "cmp": "compliance", "fin": "finance"}
LOGIN_PAGES: Final = ("/login", "/shop/login", "/backoffice/login", "/admin/login/")

# route (namespace:name, or the pattern of an unnamed route), method, then one cell per role.
TABLE: Final = """
route                               method  anon sub oth agt ptr ksk cs  cmp fin adm
# --- operations, language, simulators
healthz                             GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
readyz                              GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
metrics                             GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
set_language                        POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
simulator:pay                       GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
idp:authorize                       GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
# --- API v1 (Bearer token)
api-v1:api-root                     GET     -    -   -   -   -   -   -   -   -   -
api-v1:openapi-json                 GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:openapi-view                 GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:ping                         GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:kiosks_list                  GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:auth_otp_request             POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:auth_token_issue             POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:me_get                       GET     -    Y   Y   -   -   -   -   -   -   -
api-v1:me_topups_list               GET     -    Y   Y   -   -   -   -   -   -   -
api-v1:topup_create                 POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
api-v1:topup_get                    GET     Y    Y   -   Y   Y   Y   Y   Y   Y   Y
api-v1:topup_receipt_pdf            GET     Y    Y   -   Y   Y   Y   Y   Y   Y   Y
api-v1:payments_webhook_simulator   POST    -    -   -   -   -   -   -   -   -   -
api/v1/<path:unmatched>             GET     -    -   -   -   -   -   -   -   -   -
# --- the website (session of a line)
web:home                            GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:login                           GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:login-code                      GET     o    o   o   o   o   o   o   o   o   o
web:login-resend                    POST    o    o   o   o   o   o   o   o   o   o
web:logout                          POST    o    o   o   o   o   o   o   o   o   o
web:account                         GET     -    Y   Y   -   -   -   -   -   -   -
web:help                            GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:topup                           GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:topup-confirm                   GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:topup-return                    GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:topup-status                    GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:topup-retry                     POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:plans                           GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
web:history                         GET     -    Y   Y   -   -   -   -   -   -   -
web:history-export                  GET     -    Y   Y   -   -   -   -   -   -   -
web:receipt                         GET     -    Y   -   -   -   -   -   -   -   -
web:receipt-pdf                     GET     -    Y   -   -   -   -   -   -   -   -
web:dispute-open                    GET     -    Y   -   -   -   -   -   -   -   -
web:dispute-detail                  GET     -    Y   -   -   -   -   -   -   -   -
web:settings                        GET     -    Y   Y   -   -   -   -   -   -   -
web:saved-number-add                POST    -    Y   Y   -   -   -   -   -   -   -
web:saved-number-delete             POST    -    Y   -   -   -   -   -   -   -   -
web:verify                          GET     -    Y   Y   -   -   -   -   -   -   -
web:verify-start                    POST    -    Y   Y   -   -   -   -   -   -   -
web:verify-callback                 GET     -    Y   Y   -   -   -   -   -   -   -
web:verify-shops                    GET     -    Y   Y   -   -   -   -   -   -   -
web:kiosk-handoff                   GET     -    Y   Y   -   -   -   -   -   -   -
# --- the shop console (staff of a shop)
shop:home                           GET     -    -   -   Y   Y   -   -   -   -   -
shop:login                          GET     o    o   o   o   o   o   o   o   o   o
shop:login-verify                   GET     o    o   o   o   o   o   o   o   o   o
shop:two-factor-setup               GET     -    -   -   Y   Y   -   -   -   -   -
shop:logout                         POST    o    o   o   o   o   o   o   o   o   o
shop:queue-next                     POST    -    -   -   Y   Y   -   -   -   -   -
shop:queue-finish                   POST    -    -   -   Y   Y   -   -   -   -   -
shop:customer                       GET     -    -   -   Y   Y   -   -   -   -   -
shop:identify                       POST    -    -   -   Y   Y   -   -   -   -   -
shop:topup                          GET     -    -   -   Y   Y   -   -   -   -   -
shop:order                          GET     -    -   -   -   Y   -   -   -   -   -
shop:order-print                    POST    -    -   -   -   Y   -   -   -   -   -
shop:order-pdf                      GET     -    -   -   -   Y   -   -   -   -   -
shop:order-void                     POST    -    -   -   -   Y   -   -   -   -   -
shop:voids                          GET     -    -   -   Y   Y   -   -   -   -   -
shop:void-decide                    POST    -    -   -   -   Y   -   -   -   -   -
shop:till                           GET     -    -   -   Y   Y   -   -   -   -   -
shop:till-result                    GET     -    -   -   Y   -   -   -   -   -   -
shop:till-z-report                  GET     -    -   -   Y   -   -   -   -   -   -
# --- the public finders
shops:finder                        GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:booking-cancel                GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:shop                          GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:ticket                        GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:ticket-take                   POST    Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:booking                       GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
shops:booking-done                  GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
kiosks:finder                       GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
kiosks:receipt                      GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
# --- the kiosk screens (device credential)
kiosk:enrol                         GET     Y    Y   Y   Y   Y   Y   Y   Y   Y   Y
kiosk:attract                       GET     -    -   -   -   -   Y   -   -   -   -
kiosk:language                      GET     -    -   -   -   -   Y   -   -   -   -
kiosk:end                           POST    -    -   -   -   -   Y   -   -   -   -
kiosk:done                          GET     -    -   -   -   -   Y   -   -   -   -
kiosk:heartbeat                     POST    -    -   -   -   -   Y   -   -   -   -
kiosk:identify                      GET     -    -   -   -   -   Y   -   -   -   -
kiosk:identify-card                 GET     -    -   -   -   -   Y   -   -   -   -
kiosk:identify-phone                GET     -    -   -   -   -   Y   -   -   -   -
kiosk:identify-phone-status         GET     -    -   -   -   -   Y   -   -   -   -
kiosk:number                        GET     -    -   -   -   -   Y   -   -   -   -
kiosk:number-confirm                GET     -    -   -   -   -   Y   -   -   -   -
kiosk:amount                        GET     -    -   -   -   -   Y   -   -   -   -
kiosk:summary                       GET     -    -   -   -   -   Y   -   -   -   -
kiosk:pay-card                      POST    -    -   -   -   -   Y   -   -   -   -
kiosk:pay-bancontact                POST    -    -   -   -   -   Y   -   -   -   -
kiosk:pay-status                    GET     -    -   -   -   -   Y   -   -   -   -
kiosk:receipt                       POST    -    -   -   -   -   Y   -   -   -   -
kiosk:receipt-screen                GET     -    -   -   -   -   Y   -   -   -   -
# --- the back office: its login steps (its screens come from its own table)
backoffice:home                     GET     -    -   -   -   -   -   Y   Y   Y   Y
backoffice:login                    GET     o    o   o   o   o   o   o   o   o   o
backoffice:logout                   POST    o    o   o   o   o   o   o   o   o   o
# --- the admin site: every page of it (the index and each registered model's list)
admin                               GET     -    -   -   -   -   -   -   -   -   Y
"""
# Back-office rows that name no real object (there is none to name): an allowed role may get
# 404 there, as long as it is not refused.
PLACEHOLDER_ROUTES: Final = frozenset(
    {
        "backoffice:compliance-case",
        "backoffice:compliance-case-decide",
        "backoffice:compliance-retention-report",
        "backoffice:finance-report",
        "backoffice:finance-report-csv",
        "backoffice:finance-item-resolve",
    }
)
# Channels whose refusal is not 401/403/404: the webhook refuses a forged signature with 400.
CHANNEL_REFUSALS: Final = {"api-v1:payments_webhook_simulator": frozenset({400})}
# What a request sends besides the credential (empty otherwise).
POST_DATA: Final = {
    "shop:void-decide": {"decision": "refuse", "reason": "access matrix"},
    "web:saved-number-delete": {},
}
BACKOFFICE_POST_ONLY: Final = frozenset(
    {
        "customer-receipt-resend",
        "dispute-resolve",
        "dispute-approve",
        "compliance-case-decide",
        "compliance-retention-run",
        "compliance-scan",
        "finance-item-resolve",
    }
)


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    cells: dict[str, str]  # role → "Y", "-" or "o"


def _table_rows() -> list[Row]:
    rows: list[Row] = []
    for line in TABLE.strip().splitlines()[1:]:
        if line.startswith("#"):
            continue
        route, method, *cells = line.split()
        assert len(cells) == len(ROLES), f"row {route}: {len(cells)} cells"
        assert set(cells) <= {"Y", "-", "o"}, route
        rows.append(Row(route, method, dict(zip(ROLES, cells, strict=True))))
    return rows


def _backoffice_rows() -> list[Row]:
    """From the back office's own table: its roles as it says, the other callers refused."""
    rows: list[Row] = []
    for name, allowed in sorted(BACKOFFICE_EXPECTED.items()):
        cells = {role: "-" for role in ROLES}
        cells["adm"] = "Y"
        for role, group in BACKOFFICE_ROLE_OF.items():
            cells[role] = "Y" if group in allowed else "-"
        method = "POST" if name in BACKOFFICE_POST_ONLY else "GET"
        rows.append(Row(f"backoffice:{name}", method, cells))
    return rows


ROWS: Final = _table_rows() + _backoffice_rows()


# --- The routes the resolver knows ----------------------------------------------------------------


def _served(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(route key, the names of its URL parameters) for every route of the resolver."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _served(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif namespace == "admin:":
            yield "admin", ()  # the admin site is one row, every page of it requested
        elif pattern.name:
            yield f"{namespace}{pattern.name}", tuple(pattern.pattern.converters)
        else:
            yield prefix + str(pattern.pattern), ()


SERVED: Final = dict(_served(get_resolver().url_patterns))


def test_every_route_is_in_the_table_and_every_row_is_a_route() -> None:
    served = set(SERVED)
    listed = [row.route for row in ROWS]
    assert len(listed) == len(set(listed)), "a route is listed twice"
    assert sorted(served - set(listed)) == [], "routes nobody decided about"
    assert sorted(set(listed) - served) == [], "rows for routes that no longer exist"


# --- The world the requests are made in ---------------------------------------------------------


@dataclass(frozen=True)
class World:
    line: Sim
    other_line: Sim
    line_token: str
    other_line_token: str
    order_id: uuid.UUID  # the line's online top-up, paid and credited
    unpaid_payment_id: str
    dispute_id: int
    saved_number_id: int
    handoff_token: str
    receipt_link_token: str
    enrolment_code: str  # of another kiosk than the enrolled one, still unused
    kiosk_credential: str
    shop_order_id: uuid.UUID  # a cash sale at antwerp-night (the partner's)
    shop_void_id: int
    till_close_id: int  # bru-central's (the agent's)
    users: dict[str, User]


_usernames = itertools.count(1)


def _staff(role: str, *, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=f"matrix-{role}-{next(_usernames)}",
        password="matrix-password-2026",
        is_staff=superuser,
        is_superuser=superuser,
    )
    if not superuser:
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


@dataclass(frozen=True)
class KioskObjects:
    credential: str
    handoff_token: str
    receipt_link_token: str
    spare_enrolment_code: str


def _kiosk(enrolment_codes: list[str]) -> KioskObjects:
    """Enrol the first demo kiosk, sell a top-up on it, show a QR hand-off on a new session."""
    credential = kiosk_device_enrol(enrolment_code=enrolment_codes[0])
    device = KioskDevice.objects.get(credential_id=credential.partition(".")[0])
    sale = kiosk_session_start(device=device, language="en")
    kiosk_session_card_insert(device=device, session_id=sale.pk, card_number=SUCCEEDS)
    kiosk_session_set_target(device=device, session_id=sale.pk, msisdn=IDENTIFIED_EMPTY)
    kiosk_session_set_amount(device=device, session_id=sale.pk, amount_cents=1000)
    order = kiosk_session_pay_card(device=device, session_id=sale.pk, idempotency_key="matrix-1")
    kiosk_session_end(device=device, session_id=sale.pk)
    waiting = kiosk_session_start(device=device, language="en")
    return KioskObjects(
        credential=credential,
        handoff_token=kiosk_qr_handoff_create(device=device, session_id=waiting.pk).token,
        receipt_link_token=kiosk_receipt_link(order=order).rsplit("/", 1)[-1],
        spare_enrolment_code=enrolment_codes[1],
    )


def _shop_objects() -> tuple[uuid.UUID, int, int]:
    partner = staff_membership_get(user=User.objects.get(username="partner.antwerp"))
    sale = shop_topup_cash(
        membership=partner,
        msisdn=IDENTIFIED_WITH_FIVE_EUROS,
        amount_cents=1000,
        idempotency_key=uuid.uuid4().hex,
    )
    void = shop_void_request(membership=partner, order_id=sale.pk, reason="typed the wrong amount")
    manager = staff_membership_get(user=User.objects.get(username="manager.brussels"))
    till = shop_till_close(membership=manager, counted_cents=0)
    return sale.pk, void.pk, till.pk


@pytest.fixture
def world(settings: Settings) -> World:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = False
    settings.TOPUP_SHOP_PRINTERS = {}
    settings.TOPUP_KIOSK_PRINTERS = {}
    shop_demo_setup()
    codes = [code for _kiosk_row, code in kiosks_demo_setup()]
    line = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    other_line = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    actor = Actor.system("tests")
    order = security_order_paid(Client())
    dispute = dispute_open(
        order=order, opened_by=line, reason="not_recognised", message="", actor=actor
    )
    saved = saved_number_add(owner=line, msisdn=IDENTIFIED_EMPTY, nickname="Li", actor=actor)
    kiosk = _kiosk(codes)
    shop_order_id, shop_void_id, till_close_id = _shop_objects()
    return World(
        line=line,
        other_line=other_line,
        line_token=access_token_issue(sim=line, actor=actor),
        other_line_token=access_token_issue(sim=other_line, actor=actor),
        order_id=order.pk,
        unpaid_payment_id=order_create().payment_redirect_url.rstrip("/").rsplit("/", 1)[-1],
        dispute_id=dispute.pk,
        saved_number_id=saved.pk,
        handoff_token=kiosk.handoff_token,
        receipt_link_token=kiosk.receipt_link_token,
        enrolment_code=kiosk.spare_enrolment_code,
        kiosk_credential=kiosk.credential,
        shop_order_id=shop_order_id,
        shop_void_id=shop_void_id,
        till_close_id=till_close_id,
        users={
            "agt": User.objects.get(username="agent.brussels"),
            "ptr": User.objects.get(username="partner.antwerp"),
            **{role: _staff(group) for role, group in BACKOFFICE_ROLE_OF.items()},
            "adm": _staff("admin", superuser=True),
        },
    )


def _client(role: str, world: World) -> Client:
    """A fresh client holding the role's credential (a new session each time)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role in ("sub", "oth"):
        sim, token = (
            (world.line, world.line_token)
            if role == "sub"
            else (world.other_line, world.other_line_token)
        )
        session = SessionStore()
        session["topup_sim_id"] = sim.pk
        session.create()
        client.cookies["sessionid"] = session.session_key or ""
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    elif role == "ksk":
        client.cookies["topup_kiosk"] = world.kiosk_credential
    elif role in world.users:
        client.force_login(world.users[role])
    return client


# --- Requests and verdicts ----------------------------------------------------------------------


def _kwargs(route: str, world: World) -> dict[str, object]:
    namespace = route.partition(":")[0]
    by_name: dict[str, dict[str, object]] = {
        "web": {
            "order_id": world.order_id,
            "dispute_id": world.dispute_id,
            "saved_number_id": world.saved_number_id,
            "token": world.handoff_token,
        },
        "api-v1": {"order_id": world.order_id},
        "shop": {
            "order_id": world.shop_order_id,
            "void_id": world.shop_void_id,
            "till_close_id": world.till_close_id,
        },
        "shops": {"code": "antwerp-night"},
        "kiosk": {"code": world.enrolment_code},
        "kiosks": {"token": world.receipt_link_token},
        "simulator": {"payment_id": world.unpaid_payment_id},
        "backoffice": {
            "sim_id": world.line.pk,
            "order_id": world.order_id,
            "dispute_id": world.dispute_id,
            "case_id": 1,
            "run_id": 1,
            "report_id": 1,
            "item_id": 1,
        },
    }
    return by_name.get(namespace, {})


def _paths(row: Row, world: World) -> list[str]:
    if row.route == "admin":
        return ["/admin/"] + [
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for model in admin.site._registry
        ]
    if row.route.startswith("api/v1/"):
        return ["/api/v1/no-such-route"]
    kwargs = _kwargs(row.route, world)
    return [reverse(row.route, kwargs={name: kwargs[name] for name in SERVED[row.route]})]


def _effect(route: str, world: World) -> bool | None:
    """Whether the row's protected action took place (None: judged by the answer alone)."""
    if route == "shop:void-decide":
        return CounterVoid.objects.get(pk=world.shop_void_id).status != VoidStatus.REQUESTED
    if route == "web:saved-number-delete":
        return not SavedNumber.objects.filter(pk=world.saved_number_id).exists()
    return None


def _verdict(response: TestResponse) -> str:
    """'denied', 'login' (sent to a login page), 'error', or the status code as text."""
    status = response.status_code
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    if status in (401, 403):
        return "denied"
    if 300 <= status < 400 and location.split("?")[0] in LOGIN_PAGES:
        return "login"
    if status >= 500 and status != 503:  # readyz says 503 when the worker is behind
        return "error"
    return str(status)


def _judge(row: Row, role: str, response: TestResponse, effect: bool | None) -> str | None:
    """Why this answer breaks the table's cell, or None when it keeps it."""
    verdict = _verdict(response)
    cell = row.cells[role]
    if verdict == "error":
        return f"server error {response.status_code}"
    if response.status_code in CHANNEL_REFUSALS.get(row.route, ()):
        verdict = "denied"
    if effect is not None and verdict not in ("denied", "login"):
        if effect == (cell == "Y"):
            return None
        return "the action took place" if effect else "the action did not take place"
    if cell == "o":
        return "refused a login step" if verdict == "denied" else None
    if cell == "-":
        return None if verdict in ("denied", "login", "404") else f"allowed ({verdict})"
    if verdict in ("denied", "login"):
        return f"refused ({response.status_code})"
    if verdict == "404" and row.route not in PLACEHOLDER_ROUTES and row.route != "admin":
        return "404 on a real object"
    return None


def _request(row: Row, role: str, world: World, path: str) -> TestResponse:
    client = _client(role, world)
    if row.route == "api-v1:payments_webhook_simulator":
        forged = {"id": "evt_forged", "type": "payment.succeeded", "data": {}}
        return client.post(
            path, forged, content_type="application/json", HTTP_TOPUP_SIGNATURE="t=1,v1=00"
        )
    if row.method == "POST":
        return client.post(path, POST_DATA.get(row.route, {}))
    return client.get(path)


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_route(role: str, world: World) -> None:
    broken: list[str] = []
    for row in ROWS:
        for path in _paths(row, world):
            response = _request(row, role, world, path)
            why = _judge(row, role, response, _effect(row.route, world))
            if why is not None:
                cell = row.cells[role]
                broken.append(f"{row.method} {path} [{row.route}] expected {cell}: {why}")
    assert broken == [], "\n".join(broken)


def test_the_table_is_not_all_one_answer() -> None:
    """Every role is allowed somewhere and refused somewhere: the table tells them apart."""
    for role in ROLES:
        cells = {row.cells[role] for row in ROWS}
        assert {"Y", "-"} <= cells, role
    columns = {tuple(row.cells[role] for row in ROWS) for role in ROLES}
    assert len(columns) == len(ROLES)
