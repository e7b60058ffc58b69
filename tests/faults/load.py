"""The load generator: customers, agents and staff driving the production server over HTTP.

Online top-ups (API order, the simulator's hosted page, then the webhook and the credit through
the task worker), refunds (a customer's dispute on the website, resolved with a refund in the
back office) and voids (a cash sale at a shop counter, voided by the agent and approved by the
manager). Every request that gets no answer, or a 5xx, is sent again as a client would, with
the same idempotency key, until it is answered or the run's deadline passes. What the server
acknowledged is written down (`Acks`), so that nothing acknowledged may be lost afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import psycopg

from tests.faults.browser import Answer, Browser, Unreachable
from tests.faults.seed import (
    DISPUTE_LINES,
    LOAD_LINES,
    STAFF_CUSTOMER_SERVICE,
    STAFF_SHOP_AGENT,
    STAFF_SHOP_MANAGER,
)

AMOUNTS_CENTS: Final = (500, 1000, 1500, 2000)  # at most the four-eyes threshold: no approvals
CARDS: Final = (
    ("4242424242424242", 16),  # captured
    ("4000000000000002", 2),  # declined
    ("4000000000000119", 2),  # processing, captured later by the provider
)
CAPTURING: Final = ("4242424242424242", "4000000000000119", "approve")
OTP_RE: Final = re.compile(r"code: (\d{6})\b")  # "Your DemoMobile code: 123456. ..."
RETRY_PAUSE_S: Final = 0.25
THINK_S: Final = (0.2, 0.6)
ABANDON_SHARE: Final = 0.05
CREDIT_WAIT_S: Final = 30.0


class GaveUp(Exception):
    """The run's deadline passed before the server answered."""


@dataclass
class Acks:
    """What the server told the clients, to be still true after the faults."""

    orders: dict[str, dict[str, str]] = field(default_factory=dict)
    disputes_resolved: list[int] = field(default_factory=list)
    voids_approved: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "orders": self.orders,
            "disputes_resolved": self.disputes_resolved,
            "voids_approved": self.voids_approved,
        }


@dataclass
class LoadReport:
    operations: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per kind of operation
    server_errors: Counter[str] = field(default_factory=Counter)
    no_answer: int = 0
    gave_up: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    acks: Acks = field(default_factory=Acks)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            self.operations[name] += 1

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            with self.lock:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started

    def summary(self) -> dict[str, object]:
        return {
            "operations": dict(sorted(self.operations.items())),
            "seconds_spent": {k: round(v, 1) for k, v in sorted(self.seconds.items())},
            "server_errors": dict(sorted(self.server_errors.items())),
            "requests_without_answer": self.no_answer,
            "gave_up": dict(sorted(self.gave_up.items())),
            "unexpected": self.unexpected[:20],
        }


class Client:
    """One person's browser, sending each request again until answered (or the deadline)."""

    def __init__(self, base_url: str, report: LoadReport, deadline: float) -> None:
        self.browser = Browser(base_url)
        self.report = report
        self.deadline = deadline

    def send(
        self, label: str, call: Callable[[Browser], Answer], *, retry_server_errors: bool = True
    ) -> Answer:
        while time.monotonic() < self.deadline:
            try:
                answer = call(self.browser)
            except Unreachable:
                with self.report.lock:
                    self.report.no_answer += 1
                time.sleep(RETRY_PAUSE_S)
                continue
            if answer.status >= 500 and retry_server_errors:
                with self.report.lock:
                    self.report.server_errors[f"{label} {answer.status}"] += 1
                time.sleep(RETRY_PAUSE_S)
                continue
            return answer
        with self.report.lock:
            self.report.gave_up[label] += 1
        raise GaveUp(label)

    def expect(self, label: str, answer: Answer, *statuses: int) -> None:
        if answer.status not in statuses:
            message = f"{label}: {answer.status} {answer.location} {answer.body[:300]!r}"
            with self.report.lock:
                self.report.unexpected.append(message)
            raise AssertionError(message)


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_amount_cents(order: dict) -> int:
    """The amount of an order as the API shows it ("10.00")."""
    amount = order["amount"]
    assert isinstance(amount, dict)
    euros, _, cents = str(amount["amount"]).partition(".")
    return int(euros) * 100 + int(cents or 0)


def _weighted_card(rng: random.Random) -> str:
    return rng.choices([card for card, _w in CARDS], weights=[w for _c, w in CARDS])[0]


def _approval(path: str) -> Callable[[Browser], Answer]:
    def post(browser: Browser) -> Answer:
        return browser.post_form(path, {"decision": "approve"})

    return post


@dataclass
class Load:
    """The load: `topup_threads` customers topping up, one refunding, one voiding at a shop."""

    base_url: str
    database_url: str
    deadline: float  # after this no request is sent again (the run has given up)
    stop: threading.Event
    rng: random.Random
    report: LoadReport = field(default_factory=LoadReport)
    topup_threads: int = 3
    refunds: queue.Queue[tuple[str, int, str]] = field(default_factory=queue.Queue)

    # --- online top-ups -------------------------------------------------------------------

    def topup_create(self, client: Client, *, msisdn: str, method: str = "card") -> dict:
        """POST /api/v1/topups (sent again with the same Idempotency-Key until answered)."""
        key = uuid.uuid4().hex
        body: dict[str, object] = {
            "msisdn": msisdn,
            "amount": _euros(self.rng.choice(AMOUNTS_CENTS)),
            "currency": "EUR",
            "payment_method": method,
        }
        answer = client.send(
            "topup.create",
            lambda b: b.request(
                "POST", "/api/v1/topups", json_body=body, headers={"Idempotency-Key": key}
            ),
        )
        client.expect("topup.create", answer, 201)
        order = answer.json()
        self.report.count("topup.created")
        with self.report.lock:
            self.report.acks.orders[str(order["id"])] = {"paid_with": ""}
        return order

    def topup_pay(self, client: Client, order: dict, *, card: str) -> bool:
        """Pay on the provider's page: a card number, or "approve"/"decline" in the app.
        False when the order has no page to pay on (the provider could not be reached)."""
        payment = order["payment"]
        page = payment.get("redirect_url") if isinstance(payment, dict) else None
        if not isinstance(page, str) or not page:
            return False
        form = {"action": card} if card in ("approve", "decline") else {"card_number": card}
        answer = client.send("topup.pay", lambda b: b.request("POST", page, form=form))
        client.expect("topup.pay", answer, 303)
        self.report.count("topup.paid")
        with self.report.lock:
            self.report.acks.orders[str(order["id"])] = {"paid_with": card}
        return True

    def topup_online(self, client: Client, *, msisdn: str) -> tuple[str, int, str] | None:
        """A customer's top-up: card (mostly) or Bancontact, paid at once."""
        wallet = self.rng.random() < 0.15
        order = self.topup_create(client, msisdn=msisdn, method="bancontact" if wallet else "card")
        if self.rng.random() < ABANDON_SHARE:
            self.report.count("topup.abandoned")  # the customer closed the page: it expires
            return None
        if wallet:
            card = "approve" if self.rng.random() < 0.9 else "decline"
        else:
            card = _weighted_card(self.rng)
        if not self.topup_pay(client, order, card=card):
            return None
        return str(order["id"]), order_amount_cents(order), card

    def topup_worker(self, lines: tuple[str, ...]) -> None:
        client = Client(self.base_url, self.report, self.deadline)
        while not self.stop.is_set():
            msisdn = self.rng.choice(lines + DISPUTE_LINES)
            with contextlib.suppress(GaveUp, AssertionError), self.report.timed("topup"):
                paid = self.topup_online(client, msisdn=msisdn)
                if paid is not None and msisdn in DISPUTE_LINES and paid[2] in CAPTURING:
                    self.refunds.put((paid[0], paid[1], msisdn))
            # A person's pace: the task worker (one process) keeps up with the webhooks, credits
            # and receipts of three of them; without it the queue would only grow.
            time.sleep(self.rng.uniform(*THINK_S))

    # --- refunds: a dispute on the website, a refund in the back office -----------------

    def _otp_code(self, msisdn: str, *, after_id: int) -> str | None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT body FROM messaging_outboxmessage WHERE msisdn = %s AND id > %s "
                "ORDER BY id DESC LIMIT 20",
                (msisdn, after_id),
            ).fetchall()
        # The newest login code among the messages (receipts arrive on the same handset).
        for (body,) in rows:
            match = OTP_RE.search(body)
            if match:
                return match.group(1)
        return None

    def _outbox_last_id(self) -> int:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT coalesce(max(id), 0) FROM messaging_outboxmessage"
            ).fetchone()
        return int(row[0]) if row else 0

    def customer_login(self, msisdn: str) -> Client:
        """Log in on the website with the code the SMS brings (the outbox is the handset)."""
        client = Client(self.base_url, self.report, self.deadline)
        after_id = self._outbox_last_id()
        answer = client.send(
            "web.login", lambda b: b.post_form("/login", {"msisdn": msisdn}, csrf_from="/login")
        )
        client.expect("web.login", answer, 302)
        code = None
        while code is None and time.monotonic() < self.deadline:
            time.sleep(0.2)
            code = self._otp_code(msisdn, after_id=after_id)
        if code is None:
            raise GaveUp("web.login code")
        answer = client.send("web.code", lambda b: b.post_form("/login/code", {"code": code}))
        client.expect("web.code", answer, 302)
        return client

    def staff_login(self, path: str, credentials: tuple[str, str]) -> Client:
        client = Client(self.base_url, self.report, self.deadline)
        username, password = credentials
        form = {"username": username, "password": password}
        answer = client.send("staff.login", lambda b: b.post_form(path, form))
        client.expect(f"staff.login {path}", answer, 302)
        return client

    def _wait_credited(self, client: Client, order_id: str) -> bool:
        until = time.monotonic() + CREDIT_WAIT_S
        while time.monotonic() < until and not self.stop.is_set():
            answer = client.send(
                "topup.status", lambda b: b.request("GET", f"/api/v1/topups/{order_id}")
            )
            status = answer.json().get("status") if answer.status == 200 else None
            if status == "credited":
                return True
            if status in ("failed", "expired", "refunded"):
                return False
            time.sleep(0.5)
        return False

    def dispute_open(self, customer: Client, *, order_id: str) -> int:
        """The customer reports a problem with a credited top-up; the case's id."""
        answer = customer.send(
            "dispute.open",
            lambda b: b.post_form(
                f"/history/{order_id}/dispute",
                {"reason": "not_recognised", "message": "fault test"},
            ),
        )
        if answer.status == 409:  # opened by the request whose answer was lost
            answer = customer.send(
                "dispute.find", lambda b: b.request("GET", f"/history/{order_id}/dispute")
            )
            found = re.search(r"/disputes/(\d+)", answer.body)
            if found is None:
                customer.expect("dispute.find", answer, -1)
            dispute_id = int(found.group(1)) if found else 0
        else:
            customer.expect("dispute.open", answer, 303)
            dispute_id = int(answer.location.rstrip("/").rsplit("/", 1)[-1])
        self.report.count("dispute.opened")
        return dispute_id

    @staticmethod
    def dispute_refund_submit(staff: Client, *, dispute_id: int, amount_cents: int) -> Answer:
        """Customer service decides: refund this amount (one submission of the form)."""
        form = {"outcome": "refund", "amount": _euros(amount_cents), "note": "fault test"}
        path = f"/backoffice/disputes/{dispute_id}/resolve"
        # A 503 here is an answer (the provider could not confirm the refund): not retried.
        return staff.send(
            "dispute.resolve", lambda b: b.post_form(path, form), retry_server_errors=False
        )

    def refund(self, customer: Client, staff: Client, *, order_id: str, amount_cents: int) -> None:
        with self.report.timed("refund.wait_credited"):
            credited = self._wait_credited(customer, order_id)
        if not credited:
            return  # not credited yet (a slow payment): this one is left alone
        dispute_id = self.dispute_open(customer, order_id=order_id)
        refund_cents = amount_cents if self.rng.random() < 0.7 else amount_cents // 2
        while True:
            answer = self.dispute_refund_submit(
                staff, dispute_id=dispute_id, amount_cents=refund_cents
            )
            if answer.status == 303:
                break
            # 503 RefundProviderUnavailable and the like: the staff member tries again.
            time.sleep(RETRY_PAUSE_S)
            if time.monotonic() > self.deadline:
                staff.expect("dispute.resolve", answer, 303)
        self.report.count("refund.done")
        with self.report.lock:
            self.report.acks.disputes_resolved.append(dispute_id)

    def refund_worker(self) -> None:
        with self.report.timed("refund.logins"):
            staff = self.staff_login("/backoffice/login", STAFF_CUSTOMER_SERVICE)
            customers = {msisdn: self.customer_login(msisdn) for msisdn in DISPUTE_LINES}
        while not (self.stop.is_set() and self.refunds.empty()):
            try:
                order_id, amount_cents, msisdn = self.refunds.get(timeout=0.5)
            except queue.Empty:
                continue
            if self.stop.is_set():
                continue  # the run is over: orders not yet refunded stay credited
            with contextlib.suppress(GaveUp, AssertionError), self.report.timed("refund"):
                self.refund(customers[msisdn], staff, order_id=order_id, amount_cents=amount_cents)

    # --- voids at a shop counter ------------------------------------------------------

    def sale_and_void(self, agent: Client, manager: Client, *, msisdn: str) -> None:
        amount_cents = self.rng.choice(AMOUNTS_CENTS)
        form = {
            "msisdn": msisdn,
            "amount": _euros(amount_cents),
            "payment_method": "cash",
            "card_number": "",
            "idempotency_key": str(uuid.uuid4()),
        }
        answer = agent.send("shop.sale", lambda b: b.post_form("/shop/topup", form))
        agent.expect("shop.sale", answer, 302)
        order_id = answer.location.rstrip("/").rsplit("/", 1)[-1]
        self.report.count("shop.sale")
        if self.rng.random() < 0.25:
            return  # the customer keeps this one
        reason = {"reason": "fault test: wrong amount typed"}
        answer = agent.send(
            "shop.void", lambda b: b.post_form(f"/shop/orders/{order_id}/void", reason)
        )
        if answer.status != 302 and "already" not in answer.body.lower():
            agent.expect("shop.void", answer, 302)
        self.report.count("void.requested")
        self._approve_pending(manager)
        with self.report.lock:
            self.report.acks.voids_approved.append(order_id)
        self.report.count("void.approved")

    def _approve_pending(self, manager: Client) -> None:
        answer = manager.send("shop.voids", lambda b: b.request("GET", "/shop/voids"))
        manager.expect("shop.voids", answer, 200)
        for void_id in sorted(set(re.findall(r"/shop/voids/(\d+)/decide", answer.body))):
            decided = manager.send("void.approve", _approval(f"/shop/voids/{void_id}/decide"))
            manager.expect("void.approve", decided, 302)

    def void_worker(self) -> None:
        agent = self.staff_login("/shop/login", STAFF_SHOP_AGENT)
        manager = self.staff_login("/shop/login", STAFF_SHOP_MANAGER)
        lines = LOAD_LINES[len(DISPUTE_LINES) :]
        while not self.stop.is_set():
            with contextlib.suppress(GaveUp, AssertionError), self.report.timed("sale_and_void"):
                self.sale_and_void(agent, manager, msisdn=self.rng.choice(lines))
            time.sleep(0.3)

    # --- all together --------------------------------------------------------------------

    def threads(self) -> list[threading.Thread]:
        lines = LOAD_LINES[len(DISPUTE_LINES) :]
        chunk = max(1, len(lines) // self.topup_threads)
        targets: list[Callable[[], None]] = [
            functools.partial(self.topup_worker, lines[i * chunk : (i + 1) * chunk])
            for i in range(self.topup_threads)
        ]
        targets += [self.refund_worker, self.void_worker]
        return [
            threading.Thread(target=_guarded(target, self.report), name=f"load-{n}", daemon=True)
            for n, target in enumerate(targets)
        ]


def _guarded(target: Callable[[], None], report: LoadReport) -> Callable[[], None]:
    def run() -> None:
        try:
            target()
        except (GaveUp, AssertionError) as error:
            with report.lock:
                report.unexpected.append(f"{threading.current_thread().name} stopped: {error}")

    return run
