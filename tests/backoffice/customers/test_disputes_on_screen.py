"""Disputes on the customer screens: listed with the line, merged into the top-up's timeline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backoffice.conftest import StaffClientFactory
from tests.backoffice.customers.conftest import CS, ENGLISH, page_text
from topup.audit.services import Actor
from topup.channels.backoffice.customers.overview import customer_topup_timeline
from topup.disputes.models import Dispute
from topup.disputes.services import dispute_open, dispute_resolve
from topup.ledger.verify import ledger_verify
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder

pytestmark = pytest.mark.django_db

STAFF = Actor(actor_type="staff", actor_id="41")


def _dispute(order: TopupOrder, line: Sim) -> Dispute:
    return dispute_open(
        order=order,
        opened_by=line,
        reason="wrong_amount",
        message="I expected more",
        actor=Actor(actor_type="subscriber", actor_id=str(line.pk)),
    )


def test_a_goodwill_credit_joins_the_timeline_with_the_disputes_history(
    line: Sim, credited: TopupOrder
) -> None:
    dispute = _dispute(credited, line)
    dispute_resolve(
        dispute=dispute, outcome="goodwill", amount_cents=300, note="sorry", actor=STAFF
    )

    events = customer_topup_timeline(order=credited)

    assert [event.at for event in events] == sorted(event.at for event in events)
    disputes = [event for event in events if event.kind == "dispute"]
    assert len(disputes) >= 2 and all(f"#{dispute.pk}" in e.summary for e in disputes)
    ledger = [event for event in events if event.kind == "ledger"]
    assert [event.cause.split(" — ")[0] for event in ledger] == ["topup", "goodwill"]
    assert ledger_verify() == []


def test_a_refund_shows_its_hold_its_posting_and_the_provider_call(
    line: Sim, credited: TopupOrder
) -> None:
    dispute = _dispute(credited, line)
    dispute_resolve(dispute=dispute, outcome="refund", amount_cents=1000, note="", actor=STAFF)

    events = customer_topup_timeline(order=credited)

    ledger = [event.summary for event in events if event.kind == "ledger"]
    assert len(ledger) == 3  # the credit, the refund's hold, and the hold posted
    assert ledger[1].startswith("Hold:") and ledger[2].startswith("Hold posted:")
    calls = [event.summary for event in events if event.kind == "payment_call"]
    assert any(" refund: ok" in call for call in calls)
    assert ledger_verify() == []


def test_the_line_screen_lists_the_dispute_with_a_link_to_it(
    line: Sim, credited: TopupOrder, staff_client: StaffClientFactory
) -> None:
    dispute = _dispute(credited, line)
    response = staff_client(CS).get(
        reverse("backoffice:customer-detail", kwargs={"sim_id": line.pk}), headers=ENGLISH
    )
    html = page_text(response)
    assert reverse("backoffice:dispute-detail", kwargs={"dispute_id": dispute.pk}) in html
    assert "The amount credited is wrong" in html
