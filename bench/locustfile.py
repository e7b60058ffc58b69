"""Locust users of the HTTP benchmark (bench/http_load.py): one class per scenario.

    TOPUP_BENCH_LINES=lines.json locust -f bench/locustfile.py --headless -u 32 -r 32 -t 20s \
        --host http://127.0.0.1:8000 MeUser

Each user is a closed loop (no think time): it sends its next request when the last one answered,
so 32 users are 32 concurrent clients. With TOPUP_BENCH_USER_RATE (requests per second per user)
each user paces itself instead (locust's constant_throughput): the latency at a given offered
load, below the server's saturation. The lines and their Bearer tokens come from the JSON file
named by TOPUP_BENCH_LINES (`[{"msisdn": ..., "token": ...}, ...]`, written by http_load.py);
each request (each flow) is for a line drawn at random, so concurrent users rarely lock the same
line and no line piles up the orders its limit check sums.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
import uuid
from typing import Final

import gevent
from locust import constant, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser

AMOUNT: Final = "5.00"  # the online channel's minimum: thousands of orders stay under the limits
SUCCEEDING_CARD: Final = "4242424242424242"
POLL_INTERVAL_S: Final = 0.25  # a brisk app; the website polls every 2 s
CREDIT_TIMEOUT_S: Final = 30.0
FLOW_NAME: Final = "credited flow (create -> pay -> webhook -> credited)"
FLOW_SEEN_NAME: Final = "credited flow, as the polling client saw it"


def _lines() -> list[dict[str, str]]:
    path = os.environ.get("TOPUP_BENCH_LINES", "")
    if not path:
        return []
    with open(path, encoding="utf-8") as file:
        lines: list[dict[str, str]] = json.load(file)
    return lines


LINES: Final = _lines()
USER_RATE: Final = float(os.environ.get("TOPUP_BENCH_USER_RATE", "0"))
WAIT: Final = constant_throughput(USER_RATE) if USER_RATE else constant(0)


class _LineUser(FastHttpUser):
    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        if not LINES:
            raise RuntimeError("set TOPUP_BENCH_LINES to the lines file of bench/http_load.py")
        self._line()

    def _line(self) -> None:
        line = random.choice(LINES)
        self.msisdn = line["msisdn"]
        self.auth = {"Authorization": f"Bearer {line['token']}"}

    def _create(self, name: str) -> dict[str, object] | None:
        self._line()
        body = {"msisdn": self.msisdn, "amount": AMOUNT, "payment_method": "card"}
        headers = {**self.auth, "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            "/api/v1/topups", json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            order: dict[str, object] = response.json()
            return order


class PingUser(FastHttpUser):
    """The framework's ceiling: a ninja endpoint that touches no database."""

    wait_time = WAIT

    @task
    def ping(self) -> None:
        self.client.get("/api/v1/ping", name="GET /api/v1/ping")


class MeUser(_LineUser):
    @task
    def me(self) -> None:
        self._line()
        self.client.get("/api/v1/me", headers=self.auth, name="GET /api/v1/me")


class TopupCreateUser(_LineUser):
    @task
    def create(self) -> None:
        self._create("POST /api/v1/topups")


class CreditedFlowUser(_LineUser):
    """Create, pay on the simulator's page, then poll until the webhook got the line credited.

    The simulator's webhook is sent by the task worker (`topup worker`) to the same server.
    Two entries per flow: the platform's time from creating the order to crediting it (its own
    timestamps), and the time until this client saw the credit (polls every POLL_INTERVAL_S).
    """

    @task
    def flow(self) -> None:
        began = time.perf_counter()
        order = self._create("flow: POST /api/v1/topups")
        if order is None:
            return
        payment = order["payment"]
        assert isinstance(payment, dict)
        page = str(payment["redirect_url"]).split("://", 1)[1].split("/", 1)[1]
        with self.client.post(
            f"/{page}",
            data=f"card_number={SUCCEEDING_CARD}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="flow: POST /simulator/pay/{id}",
            allow_redirects=False,
            catch_response=True,
        ) as paid:
            if paid.status_code != 303:
                paid.failure(f"{paid.status_code}: {paid.text[:200]}")
                return
        self._until_credited(str(order["id"]), began)

    def _until_credited(self, order_id: str, began: float) -> None:
        deadline = began + CREDIT_TIMEOUT_S
        status = ""
        while time.perf_counter() < deadline:
            response = self.client.get(
                f"/api/v1/topups/{order_id}",
                headers=self.auth,
                name="flow: GET /api/v1/topups/{id}",
            )
            order = response.json() if response.status_code == 200 else {}
            status = str(order.get("status", ""))
            if status == "credited":
                # The platform's own clock: from the order's creation to its credit, exact
                # whatever the polling interval; the client's view follows as a second entry.
                created = dt.datetime.fromisoformat(str(order["created_at"]))
                credited = dt.datetime.fromisoformat(str(order["credited_at"]))
                self._flow_event(FLOW_NAME, (credited - created).total_seconds(), None)
                self._flow_event(FLOW_SEEN_NAME, time.perf_counter() - began, None)
                return
            if status in ("failed", "expired"):
                break
            gevent.sleep(POLL_INTERVAL_S)
        failure = RuntimeError(f"not credited: {status or 'no answer'}")
        self._flow_event(FLOW_NAME, time.perf_counter() - began, failure)

    def _flow_event(self, name: str, seconds: float, exception: Exception | None) -> None:
        events.request.fire(
            request_type="FLOW",
            name=name,
            response_time=seconds * 1000,
            response_length=0,
            exception=exception,
            context={},
        )
