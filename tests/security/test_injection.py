"""Hostile values in every form field, query parameter and path parameter come back harmless.

SQL injection, XSS, template injection, path traversal, open redirects and impossible values.

Each test sends every payload in every form field, query parameter and path parameter of one
surface (web self-care, API, shop console, kiosk, shop and kiosk finders, payment simulator,
back-office login) and checks that it came back harmless:
- no 5xx, no database error, no stack trace, no file content, no template evaluation;
- HTML never contains a payload's markup unescaped, nor a `javascript:` URL;
- no redirect leads off the site;
- afterwards the database holds what it held (no table dropped, no row added by the payload)
  and the books balance.
Each surface must also echo at least one payload back, escaped: proof that the payloads reached
the templates, so the unescaped-markup check had something to catch.
The rest of the back office (/backoffice/*) is being built; only its login page is covered here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.html import escape
from pytest_django.fixtures import Settings

from tests.security.conftest import (
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    api_token,
    assert_books_balance,
    order_create,
)
from tests.shop_console.conftest import AGENT, console_login
from tests.web.conftest import web_login
from topup.kiosks.services import kiosks_demo_setup
from topup.shops.services import shop_demo_setup
from topup.subscribers.models import Sim, Subscriber

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

SQL_INJECTION: Final = [
    "' OR '1'='1' --",
    "1; DROP TABLE subscribers_sim; --",
    "' UNION SELECT username, password FROM auth_user --",
    '" OR ""="',
]
XSS: Final = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
]
TEMPLATE_INJECTION: Final = ["{{ request.META }}{% debug %}"]
PATH_TRAVERSAL: Final = [
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "....//....//....//etc/passwd",
    "/etc/passwd\x00.png",  # a NUL byte: PostgreSQL refuses to store one
    "..\\..\\..\\windows\\win.ini",
]
OPEN_REDIRECT: Final = ["https://evil.example/", "//evil.example/%2f..", "/\\evil.example"]
# Well-formed but impossible values: a date that does not exist, numbers beyond any column.
OUT_OF_RANGE: Final = ["2026-02-30", "0001-01-01", "9999-12-31", "-1", "9" * 30]
PAYLOADS: Final = [
    *SQL_INJECTION,
    *XSS,
    *TEMPLATE_INJECTION,
    *PATH_TRAVERSAL,
    *OPEN_REDIRECT,
    *OUT_OF_RANGE,
]

# What must never show: a file's content, a database error, a traceback, an evaluated template.
LEAKS: Final = [
    "root:x:0:0",
    "[extensions]",
    "Traceback (most recent call last)",
    "OperationalError",
    "ProgrammingError",
    "DataError",
    "syntax error at or near",
    "wsgi.input",
    "sys.path",
]
_JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


@dataclass(frozen=True)
class Probe:
    """One place a payload goes: a form field, a query parameter or a path parameter."""

    method: str
    path: str  # `{}` marks a path parameter that the payload fills (URL-quoted)
    target: str = ""  # the field or query parameter that carries the payload
    fields: dict[str, str] = field(default_factory=dict)  # the other fields, valid
    prepare: Callable[[Client], object] | None = None  # brings the session to this step
    json: bool = False  # an API call: the fields travel as a JSON body


@dataclass
class Outcome:
    requests: int = 0
    echoed_escaped: int = 0
    problems: list[str] = field(default_factory=list)


class Answer(Protocol):
    """What the checks read of a response: a test client's or a plain HttpResponse."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...


def problems_in(response: Answer, payload: str) -> list[str]:
    problems: list[str] = []
    if response.status_code >= 500:
        problems.append(f"answered {response.status_code}")
    location = response.headers.get("Location", "")
    if "evil.example" in location or location.strip().lower().startswith("javascript:"):
        problems.append(f"redirects off the site to {location!r}")
    body = response.content.decode("utf-8", errors="replace")
    problems += [f"shows {leak!r}" for leak in LEAKS if leak in body and leak not in payload]
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("text/html"):
        if any(c in payload for c in "<>\"'") and payload in body:
            problems.append("renders the payload unescaped")
        if _JAVASCRIPT_URL.search(body):
            problems.append("renders a javascript: URL")
    elif response.status_code != 204 and not content_type.startswith(
        ("application/json", "application/pdf", "text/csv")
    ):
        problems.append(f"answers with Content-Type {content_type!r}")
    return problems


def _send(client: Client, probe: Probe, payload: str) -> TestResponse:
    path = probe.path.format(quote(payload, safe="")) if "{}" in probe.path else probe.path
    values = {**probe.fields, probe.target: payload} if probe.target else dict(probe.fields)
    if probe.method == "GET":
        return client.get(path, values)
    if probe.json:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return client.post(path, values, content_type="application/json", headers=headers)
    return client.post(path, values)


def run_probes(client: Client, probes: list[Probe]) -> Outcome:
    outcome = Outcome()
    for probe in probes:
        if probe.prepare is not None:
            probe.prepare(client)
        for payload in PAYLOADS:
            response = _send(client, probe, payload)
            outcome.requests += 1
            where = f"{probe.method} {probe.path} {probe.target or 'path'}={payload!r}"
            outcome.problems += [f"{where}: {p}" for p in problems_in(response, payload)]
            if any(c in payload for c in "<>\"'") and escape(payload) in response.content.decode(
                "utf-8", errors="replace"
            ):
                outcome.echoed_escaped += 1
    return outcome


@dataclass(frozen=True)
class Counts:
    """Rows no payload may add or remove (orders may come from the valid fields around it)."""

    sims: int
    subscribers: int
    users: int


def _counts() -> Counts:
    return Counts(
        sims=Sim.objects.count(), subscribers=Subscriber.objects.count(), users=User.objects.count()
    )


def assert_harmless(outcome: Outcome, before: Counts, *, echoes: bool = True) -> None:
    assert outcome.problems == [], "\n".join(outcome.problems)
    if echoes:
        assert outcome.echoed_escaped > 0, "no payload came back: the checks had nothing to see"
    # No payload created or dropped a line, a customer or a user (or their tables).
    assert _counts() == before
    assert_books_balance()


# --- The checker itself ----------------------------------------------------------------------


def test_the_checker_catches_an_unescaped_payload_a_traceback_and_an_off_site_redirect() -> None:
    from django.http import HttpResponse, HttpResponseRedirect

    unescaped = HttpResponse("<p><img src=x onerror=alert(1)></p>", content_type="text/html")
    assert problems_in(unescaped, "<img src=x onerror=alert(1)>")
    traceback = HttpResponse("Traceback (most recent call last)", content_type="text/html")
    assert problems_in(traceback, "x")
    redirect = HttpResponseRedirect("https://evil.example/")
    assert problems_in(redirect, "https://evil.example/")
    escaped = HttpResponse(escape('"><img src=x onerror=alert(1)>'), content_type="text/html")
    assert problems_in(escaped, '"><img src=x onerror=alert(1)>') == []


# --- Web self-care ---------------------------------------------------------------------------


def test_web_self_care_forms_and_parameters(client: Client) -> None:
    before = _counts()
    anonymous = Client()
    outcome = run_probes(
        anonymous,
        [
            Probe("POST", "/login", "msisdn"),
            Probe(
                "POST",
                "/login/code",
                "code",
                prepare=lambda c: c.post("/login", {"msisdn": IDENTIFIED_EMPTY}),
            ),
            Probe("GET", "/login", "next"),
        ],
    )
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    order = order_create()
    topup_fields = {
        "number_choice": "other",
        "msisdn": "0470 00 00 02",
        "amount_choice": "",
        "amount_other": "10",
        "payment_method": "card",
    }
    probes = [Probe("POST", "/topup", name, topup_fields) for name in topup_fields]
    probes += [
        Probe("POST", "/topup/confirm", "idempotency_key"),
        Probe("POST", "/settings", "low_balance_alert", {"language": "en"}),
        Probe("POST", "/settings", "language", {"low_balance_alert": "2"}),
        Probe("POST", "/settings/numbers", "msisdn", {"nickname": "Mum"}),
        Probe("POST", "/settings/numbers", "nickname", {"msisdn": "0470 00 00 02"}),
        *(
            Probe("GET", "/history", name)
            for name in ("since", "until", "status", "number", "page")
        ),
        Probe("GET", "/history/export.csv", "status"),
        *(Probe("GET", "/verify/callback", name) for name in ("state", "code", "error")),
        Probe("POST", "/verify/start", "method"),
        Probe("GET", "/kiosk-handoff/{}"),
        Probe("GET", f"/topups/{order.pk}/status", "shown"),
        Probe("POST", f"/topups/{order.pk}/retry", "payment_method"),
        Probe("GET", "/topups/{}/status"),
        Probe("GET", "/history/{}/receipt"),
    ]
    logged_in = run_probes(client, probes)
    outcome.requests += logged_in.requests
    outcome.echoed_escaped += logged_in.echoed_escaped
    outcome.problems += logged_in.problems

    assert_harmless(outcome, before)


# --- API -------------------------------------------------------------------------------------


def test_api_bodies_queries_headers_and_paths(client: Client) -> None:
    before = _counts()
    token = api_token(client, IDENTIFIED_WITH_FIVE_EUROS)
    topup = {"msisdn": "0470 00 00 02", "amount": "10.00", "payment_method": "card"}
    probes = [
        Probe("POST", "/api/v1/auth/otp", "msisdn", json=True),
        Probe("POST", "/api/v1/auth/token", "code", {"msisdn": IDENTIFIED_EMPTY}, json=True),
        Probe("POST", "/api/v1/auth/token", "msisdn", {"code": "123456"}, json=True),
        *(Probe("POST", "/api/v1/topups", name, topup, json=True) for name in (*topup, "currency")),
        Probe("GET", "/api/v1/kiosks", "municipality"),
        Probe("GET", "/api/v1/kiosks", "latitude", {"longitude": "4.35"}),
        Probe("GET", "/api/v1/me/topups", "limit"),
        Probe("GET", "/api/v1/me/topups", "offset"),
        Probe("GET", "/api/v1/topups/{}"),
        Probe("GET", "/api/v1/topups/{}/receipt.pdf"),
        Probe("GET", "/api/v1/{}"),
    ]
    authenticated = Client(headers={"Authorization": f"Bearer {token}"})
    outcome = run_probes(authenticated, probes)
    for header in ("Idempotency-Key", "Accept-Language", "X-Request-Id", "Authorization"):
        for payload in PAYLOADS:
            response = authenticated.post(
                "/api/v1/topups",
                topup,
                content_type="application/json",
                headers={header: payload.replace("\x00", "")},
            )
            outcome.requests += 1
            outcome.problems += [
                f"header {header}={payload!r}: {p}" for p in problems_in(response, payload)
            ]
            # The request id is echoed in a header: only when it is a safe token.
            assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers["X-Request-Id"])

    # JSON is not HTML: an echoed payload is data, and the nosniff header keeps it that way.
    assert_harmless(outcome, before, echoes=False)


# --- Shop console ----------------------------------------------------------------------------


@pytest.fixture
def shop_demo(demo: None, settings: Settings) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = False
    settings.TOPUP_SHOP_PRINTERS = {}
    shop_demo_setup()


@pytest.mark.usefixtures("shop_demo")
def test_shop_console_forms_and_parameters(client: Client) -> None:
    before = _counts()
    login = {"username": AGENT[0], "password": AGENT[1]}
    outcome = run_probes(
        Client(),
        [
            Probe("POST", "/shop/login", "username", {"password": "x"}),
            Probe("POST", "/shop/login", "password", {"username": AGENT[0]}),
            Probe("POST", "/shop/login", "next", login),
            Probe("GET", "/shop/login", "next"),
        ],
    )
    console_login(client, *AGENT)
    identify = {
        "msisdn": "0470 00 00 03",
        "document_type": "passport",
        "document_number": "EH123456",
        "issuing_country": "NLD",
        "expires_on": "2031-01-01",
        "national_register_number": "",
    }
    sale = {
        "msisdn": "0470 00 00 02",
        "amount": "10",
        "payment_method": "cash",
        "card_number": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    probes = [
        Probe("POST", "/shop/customer", "msisdn"),
        *(Probe("POST", "/shop/customer/identify", name, identify) for name in identify),
        *(Probe("POST", "/shop/topup", name, sale) for name in sale),
        Probe("POST", "/shop/till", "counted"),
        Probe("POST", "/shop/queue/finish", "outcome"),
        Probe("POST", "/shop/voids/1/decide", "decision"),
        Probe("GET", "/shop/orders/{}"),
        Probe("GET", "/shop/till/{}"),
    ]
    console = run_probes(client, probes)
    outcome.requests += console.requests
    outcome.echoed_escaped += console.echoed_escaped
    outcome.problems += console.problems

    assert_harmless(outcome, before)


# --- Kiosk -----------------------------------------------------------------------------------


def _kiosk_at_number(client: Client) -> None:
    client.post("/kiosk/language", {"language": "en"})
    client.post("/kiosk/identify/card", {"card_number": "4242 4242 4242 4242"})


def _kiosk_at_amount(client: Client) -> None:
    _kiosk_at_number(client)
    client.post("/kiosk/number", {"msisdn": "0470 00 00 02"})
    client.post("/kiosk/number/confirm")


def test_kiosk_screens(settings: Settings) -> None:
    settings.TOPUP_KIOSK_PRINTERS = {}
    before = _counts()
    codes = {kiosk.code: code for kiosk, code in kiosks_demo_setup()}
    outcome = run_probes(Client(), [Probe("POST", "/kiosk/enrol/{}")])
    kiosk = Client()
    assert kiosk.post(f"/kiosk/enrol/{codes['kiosk-bru-midi']}").status_code == 303
    probes = [
        Probe("POST", "/kiosk/language", "language"),
        Probe("POST", "/kiosk/identify/card", "card_number", prepare=_kiosk_at_number),
        Probe("POST", "/kiosk/number", "msisdn", prepare=_kiosk_at_number),
        Probe("POST", "/kiosk/amount", "amount_cents", prepare=_kiosk_at_amount),
        Probe("POST", "/kiosk/pay/card", "idempotency_key", prepare=_kiosk_at_amount),
        Probe("POST", "/kiosk/heartbeat", "printer_status"),
        Probe("POST", "/kiosk/heartbeat", "software_version", {"printer_status": "ok"}),
        Probe("POST", "/kiosk/end", "next"),
    ]
    screens = run_probes(kiosk, probes)
    outcome.requests += screens.requests
    outcome.echoed_escaped += screens.echoed_escaped
    outcome.problems += screens.problems

    assert_harmless(outcome, before)


# --- Shop and kiosk finders ------------------------------------------------------------------


def test_shop_and_kiosk_finders(client: Client) -> None:
    before = _counts()
    probes = [
        Probe("GET", "/shops/", "q"),
        Probe("POST", "/shops/", "latitude", {"longitude": "4.35"}),
        Probe("POST", "/shops/", "longitude", {"latitude": "50.85"}),
        Probe("GET", "/shops/{}/"),
        Probe("GET", "/shops/bru-central/book/", "day"),
        Probe("POST", "/shops/bru-central/book/", "day", {"slot": "", "msisdn": "0470 00 00 02"}),
        Probe("POST", "/shops/bru-central/book/", "msisdn", {"day": "2030-01-02", "slot": "x"}),
        Probe("POST", "/shops/bru-central/book/", "slot", {"day": "2030-01-02", "msisdn": ""}),
        Probe("POST", "/shops/bookings/cancel/", "reference"),
        Probe("GET", "/kiosks/", "q"),
        Probe("POST", "/kiosks/", "latitude", {"longitude": "4.35"}),
        Probe("POST", "/kiosks/", "longitude", {"latitude": "50.85"}),
        Probe("GET", "/kiosks/receipts/{}"),
    ]
    assert_harmless(run_probes(client, probes), before)


# --- Payment simulator page ------------------------------------------------------------------


def test_payment_simulator_page(client: Client) -> None:
    before = _counts()
    order = order_create()
    page = order.payment_redirect_url.removeprefix("http://localhost")
    card = {"card_number": "4000000000000002", "expiry": "12/30", "cvc": "123"}
    probes = [
        *(Probe("POST", page, name, card) for name in ("expiry", "cvc", "card_number")),
        Probe("GET", "/simulator/pay/{}"),
        *(
            Probe("GET", "/idp/authorize", name)
            for name in ("client_id", "redirect_uri", "state", "nonce", "acr_values")
        ),
    ]
    # Neither page shows what was typed back (a provider never re-displays card data).
    assert_harmless(run_probes(client, probes), before, echoes=False)


# --- Back office: the login page (the rest is being built) -----------------------------------


def test_back_office_login_page(client: Client) -> None:
    before = _counts()
    probes = [
        Probe("POST", "/backoffice/login", "username", {"password": "x"}),
        Probe("POST", "/backoffice/login", "password", {"username": "cs.demo"}),
        Probe("POST", "/backoffice/login", "next", {"username": "cs.demo", "password": "x"}),
        Probe("GET", "/backoffice/login", "next"),
    ]
    assert_harmless(run_probes(client, probes), before)
