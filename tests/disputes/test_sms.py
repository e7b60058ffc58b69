"""The customer hears about the outcome by SMS, in the language of the line that reported it."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import (
    AGENT,
    COLLEAGUE,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    Credited,
    OpenDispute,
    dispute_sms,
)
from topup.disputes.services import dispute_approve, dispute_open, dispute_resolve
from topup.messaging.models import SmsMessage
from topup.subscribers.models import Sim, Subscriber

pytestmark = pytest.mark.django_db


def _language(msisdn: str, language: str) -> None:
    Subscriber.objects.filter(sims__msisdn=msisdn).update(preferred_language=language)


@pytest.mark.parametrize(
    ("language", "amount"),
    [("nl", "€\xa012,50"), ("fr", "12,50\xa0€"), ("de", "12,50\xa0€"), ("en", "€12.50")],
)
def test_the_refund_sms_speaks_the_customers_language(
    credited: Credited, open_dispute: OpenDispute, language: str, amount: str
) -> None:
    _language(IDENTIFIED_EMPTY, language)
    dispute = open_dispute(credited(2500))
    assert dispute.language == language
    dispute_resolve(dispute=dispute, outcome="refund", amount_cents=1250, note="", actor=AGENT)
    _received, outcome = dispute_sms(IDENTIFIED_EMPTY)
    assert amount in outcome
    assert dispute.order.receipt_number and dispute.order.receipt_number in outcome
    sms = SmsMessage.objects.filter(purpose="dispute").first()
    assert sms is not None and sms.sender_name == "DemoMobile"


def test_the_language_is_the_one_at_opening_time_and_the_reporter_gets_the_sms(
    credited: Credited,
) -> None:
    _language(IDENTIFIED, "fr")
    order = credited(2500, msisdn=IDENTIFIED_EMPTY, payer=IDENTIFIED)
    dispute = dispute_open(
        order=order,
        opened_by=Sim.objects.get(msisdn=IDENTIFIED),
        reason="wrong_number",
        message="Wrong number typed",
        actor=AGENT,
    )
    _language(IDENTIFIED, "de")  # changed later: the case keeps the language it was opened in
    dispute = dispute_resolve(
        dispute=dispute, outcome="goodwill", amount_cents=2100, note="", actor=AGENT
    )
    dispute_approve(dispute=dispute, actor=COLLEAGUE)
    outcome = dispute_sms(IDENTIFIED)[-1]
    assert "21,00\xa0€" in outcome and IDENTIFIED_EMPTY in outcome
    assert dispute_sms(IDENTIFIED_EMPTY) == []
    assert len(dispute_sms(IDENTIFIED)) == 2  # received, outcome; nothing for the proposal
