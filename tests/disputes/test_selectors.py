"""Reading disputes: one case, the queue, an order's cases, a line's cases."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import (
    AGENT,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    Credited,
    OpenDispute,
)
from topup.core.errors import ApplicationError
from topup.disputes.selectors import (
    dispute_get,
    disputes_for_order,
    disputes_for_sim,
    disputes_queue,
)
from topup.disputes.services import dispute_open, dispute_resolve
from topup.subscribers.models import Sim

pytestmark = pytest.mark.django_db


def test_a_missing_case_is_not_found(db: None) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        dispute_get(dispute_id=404)
    assert (excinfo.value.code, excinfo.value.http_status) == ("dispute_not_found", 404)


def test_the_queue_is_newest_first_and_filters_by_status(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    older = open_dispute(credited())
    newer = open_dispute(credited())
    dispute_resolve(dispute=older, outcome="reject", amount_cents=None, note="n", actor=AGENT)
    assert [d.pk for d in disputes_queue()] == [newer.pk, older.pk]
    assert [d.pk for d in disputes_queue(status="open")] == [newer.pk]
    assert [d.pk for d in disputes_queue(status="rejected")] == [older.pk]
    assert dispute_get(dispute_id=newer.pk).order.sim.msisdn == IDENTIFIED_EMPTY


def test_a_lines_cases_include_orders_it_paid_for_and_cases_it_opened(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    own = open_dispute(credited(msisdn=IDENTIFIED))
    paid_for = credited(msisdn=IDENTIFIED_EMPTY, payer=IDENTIFIED)
    by_recipient = open_dispute(paid_for)
    unrelated = open_dispute(credited(msisdn=IDENTIFIED_EMPTY))
    payer = Sim.objects.get(msisdn=IDENTIFIED)
    recipient = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    assert {d.pk for d in disputes_for_sim(sim=payer)} == {own.pk, by_recipient.pk}
    assert {d.pk for d in disputes_for_sim(sim=recipient)} == {by_recipient.pk, unrelated.pk}
    assert [d.pk for d in disputes_for_order(order=paid_for)] == [by_recipient.pk]
    dispute_resolve(
        dispute=by_recipient, outcome="reject", amount_cents=None, note="n", actor=AGENT
    )
    again = dispute_open(
        order=paid_for, opened_by=payer, reason="charged_twice", message="", actor=AGENT
    )
    assert [d.pk for d in disputes_for_order(order=paid_for)] == [again.pk, by_recipient.pk]
