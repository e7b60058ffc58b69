"""Check-digit failures at the shop counter are kept (the fact, not the number) for the scan."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from tests.subscribers.factories import eid_card_number
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.cli.demo_data import demo_data_load
from topup.compliance.models import CaseKind, ComplianceCase
from topup.compliance.services import compliance_scan
from topup.shops.models import StaffMembership
from topup.shops.services import shop_demo_setup, shop_identify_customer, staff_membership_get
from topup.subscribers.errors import DocumentExpired, InvalidDocumentNumber
from topup.subscribers.models import IdentificationRefusal

pytestmark = pytest.mark.django_db

AWAITING_IDENTIFICATION = "+32470000003"  # a demo line


@pytest.fixture
def agent(db: None, settings: Settings) -> StaffMembership:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    assert demo_data_load()
    shop_demo_setup()
    return staff_membership_get(user=User.objects.get(username="agent.brussels"))


def identify_with(
    agent: StaffMembership,
    number: str,
    *,
    document_type: str = "be_eid",
    expires_on: dt.date = dt.date(2035, 1, 1),
) -> None:
    shop_identify_customer(
        membership=agent,
        msisdn=AWAITING_IDENTIFICATION,
        document_type=document_type,
        document_number=number,
        issuing_country="BE",
        expires_on=expires_on,
        national_register_number=None,
    )


def test_mistyped_check_digits_at_the_counter_are_kept_and_reviewed(
    agent: StaffMembership, system_actor: Actor
) -> None:
    good = eid_card_number(1_234_567_890)
    mistyped = good[:-1] + str((int(good[-1]) + 1) % 10)
    for _ in range(3):
        with pytest.raises(InvalidDocumentNumber):
            identify_with(agent, mistyped)
    refusals = IdentificationRefusal.objects.all()
    assert [r.reason for r in refusals] == ["check_digits"] * 3
    assert {r.refused_by for r in refusals} == {f"staff:{agent.user_id}"}
    events = AuditEvent.objects.filter(action="subscribers.identification_refused")
    assert events.count() == 3
    assert mistyped not in json.dumps(list(events.values_list("data", flat=True)))
    compliance_scan(actor=system_actor)
    assert ComplianceCase.objects.filter(kind=CaseKind.CHECK_DIGIT_FAILED).count() == 1


def test_other_refusals_are_not_kept(agent: StaffMembership) -> None:
    with pytest.raises(InvalidDocumentNumber):
        # A passport number of the wrong length: a format slip, not a failed check digit.
        identify_with(agent, "AB1234567890", document_type="passport")
    assert not IdentificationRefusal.objects.exists()
    with pytest.raises(DocumentExpired):
        identify_with(agent, eid_card_number(1_234_567_890), expires_on=dt.date(2001, 1, 1))
    assert not IdentificationRefusal.objects.exists()
