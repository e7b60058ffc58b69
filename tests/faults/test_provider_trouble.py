"""Provider trouble against the running processes: the payment simulator delivers webhooks twice,
late, out of order or never; it answers 500, times out, or does the work and loses its answer;
its outage switch is on. Each top-up ends in the right state, and reconciliation finds the ones
whose news never came.

The same cases are tested in-process, step by step, in tests/payments/test_webhook_delivery.py
(each webhook mode), tests/topups/test_services.py (outage, reconciliation, late capture) and
tests/disputes/test_failures.py (refund while the provider is unreachable); here they run
through gunicorn, the worker and real HTTP, all at once, on one database.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.faults.conftest import stack_failure_logs
from tests.faults.load import Client, Load
from tests.faults.scenario import drain_and_check, probe, settle
from tests.faults.seed import DISPUTE_LINES, LOAD_LINES
from tests.faults.stack import Stack
from tests.faults.switches import trouble_set

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CAPTURED = "4242424242424242"
DECLINED = "4000000000000002"
WEBHOOK_MODES = ("twice", "late", "out_of_order", "never")


def _status(client: Client, order_id: str) -> str:
    answer = client.send("topup.status", lambda b: b.request("GET", f"/api/v1/topups/{order_id}"))
    assert answer.status == 200, answer.body
    return str(answer.json()["status"])


def _statuses(client: Client, order_ids: list[str]) -> list[str]:
    return [_status(client, order_id) for order_id in order_ids]


def _paid(load: Load, client: Client, *, msisdn: str, card: str) -> str:
    order = load.topup_create(client, msisdn=msisdn)
    assert load.topup_pay(client, order, card=card), order
    return str(order["id"])


def _webhook_modes(stack: Stack, load: Load, client: Client) -> dict[str, dict[str, list[str]]]:
    """Per mode: orders paid (captured) and refused (declined) while the simulator misbehaves."""
    orders: dict[str, dict[str, list[str]]] = {}
    for n, mode in enumerate(WEBHOOK_MODES):
        probe(stack, "simulator", "--webhook-mode", mode, "--late-delay-s", "30")
        msisdn = LOAD_LINES[10 + n]
        orders[mode] = {
            "captured": [_paid(load, client, msisdn=msisdn, card=CAPTURED) for _ in range(3)],
            "declined": [_paid(load, client, msisdn=msisdn, card=DECLINED)],
        }
    probe(stack, "simulator", "--webhook-mode", "normal")
    return orders


def _unreachable_on_create(stack: Stack, load: Load, client: Client) -> dict[str, dict]:
    """The order is refused at once with a reason, and nothing is ever charged for it."""
    created: dict[str, dict] = {}
    for trouble in ("error", "timeout", "lost"):
        trouble_set(stack.workdir, create=trouble)
        created[trouble] = load.topup_create(client, msisdn=LOAD_LINES[20])
    trouble_set(stack.workdir)
    probe(stack, "simulator", "--outage", "on")
    created["outage"] = load.topup_create(client, msisdn=LOAD_LINES[20])
    probe(stack, "simulator", "--outage", "off")
    return created


def _refund_with_a_lost_answer(stack: Stack, load: Load, client: Client) -> tuple[int, int]:
    """The provider refunds but its answer is lost (then it answers 500): staff see the refund
    could not be confirmed, try again, and the customer is refunded once."""
    order_id = _paid(load, client, msisdn=DISPUTE_LINES[0], card=CAPTURED)
    settle(stack.database_url)
    assert _status(client, order_id) == "credited"
    customer = load.customer_login(DISPUTE_LINES[0])
    staff = load.staff_login("/backoffice/login", ("cs.demo", "demo-cs-2026"))
    dispute_id = load.dispute_open(customer, order_id=order_id)
    statuses = []
    for trouble in ("lost", "error", ""):
        trouble_set(stack.workdir, refund=trouble)
        answer = load.dispute_refund_submit(staff, dispute_id=dispute_id, amount_cents=500)
        statuses.append(answer.status)
    assert statuses[-1] == 303, statuses
    with load.report.lock:
        load.report.acks.disputes_resolved.append(dispute_id)
    return statuses[0], statuses[1]


@pytest.mark.timeout(300)
def test_each_kind_of_provider_trouble_ends_in_the_right_state(
    fault_database: str, fault_workdir: Path, make_stack: list[Stack]
) -> None:
    stack = Stack(database_url=fault_database, workdir=fault_workdir, trouble=True)
    make_stack.append(stack)
    stack.start()
    load = Load(
        base_url=stack.base_url,
        database_url=stack.database_url,
        deadline=time.monotonic() + 240,
        stop=threading.Event(),
        rng=random.Random(3),
    )
    client = Client(stack.base_url, load.report, load.deadline)

    by_mode = _webhook_modes(stack, load, client)
    settle(stack.database_url)
    # Webhooks twice, late (time passes) or out of order: credited once, declined ones failed.
    for mode in ("twice", "late", "out_of_order"):
        assert _statuses(client, by_mode[mode]["captured"]) == ["credited"] * 3, mode
        assert _statuses(client, by_mode[mode]["declined"]) == ["failed"], mode
    # Never: the customer sees the payment pending until reconciliation asks the provider.
    never = by_mode["never"]["captured"] + by_mode["never"]["declined"]
    assert _statuses(client, never) == ["awaiting_payment"] * 4

    # The provider's status query fails while its webhooks arrive: the orders stay pending.
    trouble_set(stack.workdir, get="error")
    silent = [_paid(load, client, msisdn=LOAD_LINES[15], card=CAPTURED) for _ in range(2)]
    trouble_set(stack.workdir, get="timeout")
    silent.append(_paid(load, client, msisdn=LOAD_LINES[15], card=CAPTURED))
    settle(stack.database_url)
    assert _statuses(client, silent) == ["awaiting_payment"] * 3
    trouble_set(stack.workdir)

    reconciled = probe(stack, "reconcile")
    assert reconciled["open"] == 0, reconciled
    assert _statuses(client, by_mode["never"]["captured"] + silent) == ["credited"] * 6
    assert _statuses(client, by_mode["never"]["declined"]) == ["failed"]

    created = _unreachable_on_create(stack, load, client)
    for trouble, order in created.items():
        assert (order["status"], order["failure_reason"]) == ("failed", "provider_unreachable"), (
            trouble
        )
        assert order["payment"]["redirect_url"] is None, trouble

    lost_status, error_status = _refund_with_a_lost_answer(stack, load, client)
    assert (lost_status, error_status) == (503, 503)

    result = drain_and_check(stack, load, workdir=fault_workdir)
    sys.stdout.write(f"\nfault run (provider trouble):\n{result.note()}\n")
    assert result.violations == [], f"{result.note()}\n{stack_failure_logs(stack)}"
    assert result.figures["refunds_by_status"] == {"refunded": 1}, result.note()
