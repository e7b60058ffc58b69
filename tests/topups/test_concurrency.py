"""Top-ups under concurrency on PostgreSQL: one credit per capture, one order per key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import threads_together
from tests.topups.conftest import IDENTIFIED_EMPTY, CreateOrder, Pay
from topup.audit.services import Actor
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import topup_order_reconcile
from topup.topups.verify import topup_verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def _hammer(work: Callable[[int], object]) -> list[BaseException]:
    return threads_together(work, threads=THREADS)


def test_many_workers_reconciling_one_capture_credit_it_once(
    create_order: CreateOrder, pay: Pay
) -> None:
    order = create_order(msisdn=IDENTIFIED_EMPTY, amount_cents=2500)
    pay(order, "4242424242424242")

    errors = _hammer(lambda _i: topup_order_reconcile(order=order, actor=Actor.system("race")))

    assert errors == []
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    assert Transfer.objects.filter(reason_code="topup").count() == 1
    assert sim_balance(sim=sim_get_by_msisdn(msisdn=IDENTIFIED_EMPTY)).paid_cents == 2500
    assert ledger_verify() == []
    assert topup_verify() == []


def test_concurrent_retries_with_one_key_make_one_order(create_order: CreateOrder) -> None:
    ids: list[str] = []

    def retry(_index: int) -> None:
        ids.append(str(create_order(key="same-key", amount_cents=1000).pk))

    errors = _hammer(retry)

    assert errors == []
    assert len(set(ids)) == 1
    assert TopupOrder.objects.count() == 1
