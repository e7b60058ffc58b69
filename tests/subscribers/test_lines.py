"""Lines: creation with their ledger accounts, look-up by number, status changes, holds."""

from __future__ import annotations

import pytest
from django.test import override_settings

from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.ledger.models import Account, AccountKind
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.subscribers.errors import (
    InvalidIccid,
    InvalidMsisdn,
    LineHeldForReverification,
    SimAlreadyExists,
    SimStatusChangeNotAllowed,
    SubscriberNotFound,
    SubscriberSuspended,
    SubscriberTerminated,
)
from topup.subscribers.models import HoldReason, LineHold, ReidentificationRequest, Sim, SimStatus
from topup.subscribers.selectors import (
    sim_balance,
    sim_get_by_msisdn,
    sim_masked_name,
    sim_topup_check,
)
from topup.subscribers.services import (
    line_hold_open,
    reidentification_request,
    sim_create,
    sim_status_change,
)

from .factories import iccid, identify, line_create

pytestmark = pytest.mark.django_db


def test_a_new_line_has_a_paid_and_a_promo_liability_that_cannot_go_negative(
    brand: Brand, system_actor: Actor
) -> None:
    sim = sim_create(
        msisdn="0032 471 23 45 67",
        iccid=iccid(990),
        brand=brand,
        subscriber=None,
        actor=system_actor,
    )
    assert sim.msisdn == "+32471234567"
    assert sim.status == SimStatus.AWAITING_IDENTIFICATION
    paid = Account.objects.get(code="sim:+32471234567:paid")
    promo = Account.objects.get(code="sim:+32471234567:promo")
    assert (paid.pk, promo.pk) == (sim.paid_account_id, sim.promo_account_id)
    assert (paid.kind, promo.kind) == (AccountKind.SUBSCRIBER_PAID, AccountKind.SUBSCRIBER_PROMO)
    for account in (paid, promo):
        assert account.account_type == "liability"
        assert account.balance_tracked and not account.may_go_negative
    assert AuditEvent.objects.filter(action="subscribers.sim_created").count() == 1


@pytest.mark.parametrize(
    ("msisdn", "sim_iccid", "error"),
    [
        ("02 123 45 67", iccid(991), InvalidMsisdn),
        ("0471 99 88 77", iccid(992)[:-1] + str((int(iccid(992)[-1]) + 1) % 10), InvalidIccid),
    ],
)
def test_a_line_is_refused_with_a_bad_number_or_iccid(
    brand: Brand, system_actor: Actor, msisdn: str, sim_iccid: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        sim_create(msisdn=msisdn, iccid=sim_iccid, brand=brand, subscriber=None, actor=system_actor)
    assert not Sim.objects.exists()


def test_a_number_can_be_registered_once(brand: Brand, system_actor: Actor) -> None:
    line_create(brand=brand, actor=system_actor, msisdn="+32470555555")
    with pytest.raises(SimAlreadyExists):
        line_create(brand=brand, actor=system_actor, msisdn="0470 55 55 55")
    assert Sim.objects.count() == 1


def test_a_line_is_found_however_its_number_is_typed(sim: Sim) -> None:
    national = "0" + sim.msisdn.removeprefix("+32")
    assert sim_get_by_msisdn(msisdn=national).pk == sim.pk
    assert sim_get_by_msisdn(msisdn="0032" + sim.msisdn[3:]).pk == sim.pk


def test_a_number_of_another_operator_is_not_found(sim: Sim) -> None:
    with pytest.raises(SubscriberNotFound) as raised:
        sim_get_by_msisdn(msisdn="0499 99 99 99")
    assert raised.value.http_status == 404
    with pytest.raises(InvalidMsisdn):
        sim_get_by_msisdn(msisdn="hello")


def test_the_payer_sees_only_a_masked_name(sim: Sim) -> None:
    assert sim_masked_name(sim=sim) == "J** P******"


def test_the_balance_reads_paid_and_promo_apart(sim: Sim, system_actor: Actor) -> None:
    equity = ledger_system_account(name="equity")
    ledger_transfer(
        idempotency_key="test:paid",
        debit=equity,
        credit=sim.paid_account,
        amount_cents=500,
        reason_code="test",
        actor=system_actor,
    )
    balance = sim_balance(sim=sim)
    assert (balance.paid_cents, balance.promo_cents, balance.validity_until) == (500, 0, None)


def test_suspended_and_terminated_lines_cannot_be_topped_up(sim: Sim, system_actor: Actor) -> None:
    identify(sim=sim, actor=system_actor)
    sim_status_change(sim=sim, status=SimStatus.SUSPENDED, reason="fraud", actor=system_actor)
    with pytest.raises(SubscriberSuspended) as suspended:
        sim_topup_check(sim=sim)
    assert suspended.value.code == "subscriber_suspended"
    sim_status_change(sim=sim, status=SimStatus.ACTIVE, reason="cleared", actor=system_actor)
    sim_topup_check(sim=sim)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ported", actor=system_actor)
    with pytest.raises(SubscriberTerminated) as terminated:
        sim_topup_check(sim=sim)
    assert terminated.value.code == "subscriber_terminated"
    assert terminated.value.http_status == 409


def test_illegal_status_changes_are_refused(sim: Sim, system_actor: Actor) -> None:
    with pytest.raises(SimStatusChangeNotAllowed):
        sim_status_change(sim=sim, status=SimStatus.ACTIVE, reason="skip", actor=system_actor)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="unused", actor=system_actor)
    with pytest.raises(SimStatusChangeNotAllowed):
        sim_status_change(sim=sim, status=SimStatus.ACTIVE, reason="back", actor=system_actor)
    assert Sim.objects.get(pk=sim.pk).status == SimStatus.TERMINATED


def test_a_sim_swap_holds_the_line_until_reidentification(sim: Sim, system_actor: Actor) -> None:
    identify(sim=sim, actor=system_actor)
    hold = line_hold_open(
        sim=sim, reason=HoldReason.SIM_SWAP, details={"new_iccid_last4": "1234"}, actor=system_actor
    )
    with pytest.raises(LineHeldForReverification) as raised:
        sim_topup_check(sim=sim)
    assert raised.value.code == "line_held_for_reverification"
    record = identify(sim=sim, actor=system_actor)
    hold.refresh_from_db()
    assert hold.cleared_at is not None and hold.cleared_by_id == record.pk
    sim_topup_check(sim=sim)


def test_a_reidentification_request_holds_the_line_and_is_resolved_by_identifying(
    sim: Sim, system_actor: Actor
) -> None:
    identify(sim=sim, actor=system_actor)
    staff = Actor(actor_type="staff", actor_id="compliance-1")
    request = reidentification_request(sim=sim, reason="document reported stolen", actor=staff)
    assert LineHold.objects.get(sim=sim).reason == HoldReason.REIDENTIFICATION
    with pytest.raises(LineHeldForReverification):
        sim_topup_check(sim=sim)
    record = identify(sim=sim, actor=system_actor)
    request = ReidentificationRequest.objects.get(pk=request.pk)
    assert request.resolved_by_id == record.pk
    assert not LineHold.objects.filter(sim=sim, cleared_at__isnull=True).exists()
    sim_topup_check(sim=sim)
    assert AuditEvent.objects.filter(action="subscribers.line_holds_cleared").count() == 1


def test_an_anomalous_reidentification_leaves_the_hold_in_place(
    brand: Brand, system_actor: Actor
) -> None:
    sim = line_create(brand=brand, actor=system_actor)
    identify(sim=sim, actor=system_actor)
    reidentification_request(sim=sim, reason="check", actor=system_actor)
    other = line_create(brand=brand, actor=system_actor)
    identify(sim=other, actor=system_actor, document_number="000000000097")
    with override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=1):
        record = identify(sim=sim, actor=system_actor, document_number="000000000097")
    assert record.status == "anomaly"
    with pytest.raises(LineHeldForReverification):
        sim_topup_check(sim=sim)
