"""Retention: identification data erased exactly when due, never twice, never the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.compliance.models import RetentionAction, RetentionTarget
from topup.compliance.services import identification_retention_run
from topup.ledger.models import Entry, Transfer
from topup.ledger.services import ledger_provider_clearing_account, ledger_transfer
from topup.ledger.verify import ledger_verify
from topup.subscribers import crypto
from topup.subscribers.models import IdentificationMethod, IdentificationRecord, Sim, SimStatus
from topup.subscribers.selectors import identity_active_sim_count
from topup.subscribers.services import (
    ERASED_MARKER,
    identification_document_number_reveal,
    identification_record_create,
    sim_status_change,
    subscriber_details_correct,
)

from .conftest import Identify, NewLine, a_card_number, days

pytestmark = pytest.mark.django_db

NATIONAL_REGISTER_NUMBER = "85073003328"


def terminate(sim: Sim, actor: Actor) -> None:
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="contract ended", actor=actor)


def test_a_terminated_lines_identification_is_erased_a_retention_period_after_termination(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    card = a_card_number()
    record = identified(
        sim, document_number=card, national_register_number=NATIONAL_REGISTER_NUMBER
    )
    clock.advance(seconds=days(10))
    terminate(sim, system_actor)
    clock.advance(seconds=days(364))
    early = identification_retention_run(actor=system_actor)
    assert (early.records_erased, early.subscribers_erased) == (0, 0)
    clock.advance(seconds=days(2))
    run = identification_retention_run(actor=system_actor)
    assert (run.records_erased, run.subscribers_erased) == (1, 1)
    record.refresh_from_db()
    assert record.erased_at == clock.now()
    assert record.document_number_encrypted == record.document_number_hash == ""
    assert record.national_register_number_encrypted == record.national_register_number_hash == ""
    assert record.document_number_masked == record.national_register_number_masked == ERASED_MARKER
    assert record.document_expires_on is None
    assert (record.issuing_country, record.evidence_reference) == ("", "")
    # What stays: that, how, when and by whom the line was identified.
    assert record.method == IdentificationMethod.SHOP_DOCUMENT
    assert (record.verified_by, record.status) == ("agent-7", "accepted")
    assert record.verified_at < clock.now()
    assert sim.subscriber is not None
    sim.subscriber.refresh_from_db()
    assert (sim.subscriber.first_name, sim.subscriber.last_name) == ("", "")
    [record_action] = RetentionAction.objects.filter(
        run=run, target=RetentionTarget.IDENTIFICATION_RECORD
    )
    assert (record_action.target_id, record_action.basis) == (record.pk, "line_terminated")
    assert set(record_action.fields) == {
        "document_number",
        "national_register_number",
        "document_expires_on",
        "issuing_country",
        "evidence_reference",
    }


def test_a_superseded_record_is_erased_and_the_current_one_kept(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    old_card, new_card = a_card_number(), a_card_number()
    old = identified(sim, document_number=old_card)
    clock.advance(seconds=days(100))
    current = identified(sim, document_number=new_card)
    clock.advance(seconds=days(366))
    run = identification_retention_run(actor=system_actor)
    assert (run.records_erased, run.subscribers_erased) == (1, 0)
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.erased_at is not None
    assert current.erased_at is None
    assert current.document_number_hash == crypto.lookup_hash(f"BEL:{new_card}")
    assert sim.subscriber is not None
    sim.subscriber.refresh_from_db()
    assert sim.subscriber.first_name == "Jan"  # the line lives on: the names stay
    action = RetentionAction.objects.get(run=run)
    assert (action.basis, action.due_since) == ("superseded", current.verified_at)


def test_a_record_superseded_exactly_one_retention_period_ago_is_kept_until_the_next_second(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    old = identified(sim)
    clock.advance(seconds=days(1))
    identified(sim)
    clock.advance(seconds=days(365))
    assert identification_retention_run(actor=system_actor).records_erased == 0
    clock.advance(seconds=1)
    assert identification_retention_run(actor=system_actor).records_erased == 1
    old.refresh_from_db()
    assert old.erased_at is not None


def test_erased_numbers_can_no_longer_be_read_or_found(
    new_line: NewLine, identified: Identify, system_actor: Actor, officer: Actor, clock: FakeClock
) -> None:
    sim, other = new_line(), new_line()
    card = a_card_number()
    old = identified(sim, document_number=card)
    assert identification_document_number_reveal(record=old, actor=officer, reason="check") == card
    clock.advance(seconds=days(1))
    identified(sim)
    clock.advance(seconds=days(400))
    identification_retention_run(actor=system_actor)
    old.refresh_from_db()
    assert identification_document_number_reveal(record=old, actor=officer, reason="check") == ""
    assert not IdentificationRecord.objects.filter(
        document_number_hash=crypto.lookup_hash(f"BEL:{card}")
    ).exists()
    found = identity_active_sim_count(
        document_number_hash=crypto.lookup_hash(f"BEL:{card}"),
        national_register_number_hash="",
        excluding=other,
    )
    assert found == 0


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=1)
def test_a_record_superseded_only_by_an_anomaly_is_still_the_lines_identification(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    taken_card = a_card_number()
    first, second = new_line(), new_line()
    kept = identified(first, document_number=a_card_number())
    identified(second, document_number=taken_card)
    anomaly = identified(first, document_number=taken_card)
    assert anomaly.status == "anomaly"
    clock.advance(seconds=days(800))
    run = identification_retention_run(actor=system_actor)
    assert run.records_erased == 0
    kept.refresh_from_db()
    assert kept.erased_at is None


def test_a_dry_run_reports_and_erases_nothing_and_a_second_run_erases_nothing_more(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sims = [new_line() for _ in range(3)]
    for sim in sims:
        identified(sim)
    terminate(sims[0], system_actor)
    terminate(sims[1], system_actor)
    clock.advance(seconds=days(400))
    dry = identification_retention_run(actor=system_actor, dry_run=True)
    assert (dry.dry_run, dry.records_erased, dry.subscribers_erased) == (True, 2, 2)
    assert dry.actions.count() == 4
    assert not IdentificationRecord.objects.filter(erased_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="identification.erased").exists()
    real = identification_retention_run(actor=system_actor)
    assert (real.records_erased, real.subscribers_erased) == (2, 2)
    assert sorted(real.actions.values_list("target", "fields")) == sorted(
        dry.actions.values_list("target", "fields")
    )
    again = identification_retention_run(actor=system_actor)
    assert (again.records_erased, again.subscribers_erased, again.actions.count()) == (0, 0, 0)
    assert AuditEvent.objects.filter(action="identification.erased").count() == 2
    assert AuditEvent.objects.filter(action="subscriber.erased").count() == 2
    assert AuditEvent.objects.filter(action="compliance.retention_run").count() == 3


def test_names_stay_while_one_of_the_subscribers_lines_lives(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    assert sim.subscriber is not None
    second = Sim.objects.get(pk=new_line().pk)
    second.subscriber = sim.subscriber
    second.save(update_fields=["subscriber"])
    identified(second)
    terminate(sim, system_actor)
    clock.advance(seconds=days(400))
    run = identification_retention_run(actor=system_actor)
    assert (run.records_erased, run.subscribers_erased) == (1, 0)
    sim.subscriber.refresh_from_db()
    assert sim.subscriber.first_name == "Jan"


def test_names_in_past_corrections_are_erased_too(
    new_line: NewLine, identified: Identify, system_actor: Actor, officer: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    correction = subscriber_details_correct(
        sim=sim, first_name="Janneke", last_name="Peeters", reason="eID checked", actor=officer
    )
    terminate(sim, system_actor)
    clock.advance(seconds=days(400))
    run = identification_retention_run(actor=system_actor)
    action = run.actions.get(target=RetentionTarget.SUBSCRIBER)
    assert set(action.fields) == {"first_name", "last_name", "name_corrections"}
    correction.refresh_from_db()
    assert (correction.old_value, correction.new_value) == ({}, {})
    assert correction.reason == "eID checked"


def test_retention_never_touches_the_ledger(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    ledger_transfer(
        idempotency_key="retention-test:topup",
        debit=ledger_provider_clearing_account(provider="simulator"),
        credit=sim.paid_account,
        amount_cents=1_500,
        reason_code="topup",
        actor=system_actor,
    )
    terminate(sim, system_actor)
    before = (
        list(Transfer.objects.order_by("pk").values()),
        list(Entry.objects.order_by("pk").values()),
    )
    clock.advance(seconds=days(400))
    assert identification_retention_run(actor=system_actor).records_erased == 1
    after = (
        list(Transfer.objects.order_by("pk").values()),
        list(Entry.objects.order_by("pk").values()),
    )
    assert after == before
    assert ledger_verify() == []


def test_a_record_without_a_document_keeps_its_method_and_loses_its_evidence(
    new_line: NewLine, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    assert sim.subscriber is not None
    record = identification_record_create(
        sim=sim,
        subscriber=sim.subscriber,
        method=IdentificationMethod.CERTIFIED_SERVICE,
        document_type="",
        issuing_country="",
        document_number="",
        national_register_number=None,
        document_expires_on=None,
        verified_by="idp:itsme",
        evidence_reference="subject-123 transaction-456",
        shop=None,
        actor=system_actor,
    )
    terminate(sim, system_actor)
    clock.advance(seconds=days(400))
    run = identification_retention_run(actor=system_actor)
    record.refresh_from_db()
    assert (record.evidence_reference, record.document_number_masked) == ("", "")
    assert (record.method, record.verified_by) == ("certified_service", "idp:itsme")
    action = run.actions.get(target=RetentionTarget.IDENTIFICATION_RECORD)
    assert action.fields == ["evidence_reference"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    superseded_after=st.one_of(st.none(), st.integers(min_value=1, max_value=800)),
    terminated_after=st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
    run_after=st.integers(min_value=0, max_value=1600),
)
def test_exactly_the_records_past_their_retention_period_are_erased(
    new_line: NewLine,
    identified: Identify,
    system_actor: Actor,
    clock: FakeClock,
    superseded_after: int | None,
    terminated_after: int | None,
    run_after: int,
) -> None:
    """Days after the first identification: a newer one, the termination, the retention run."""
    start = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
    with transaction.atomic():
        clock.moment = start
        sim = new_line()
        first = identified(sim)
        second = None
        events = sorted(
            [(superseded_after, "supersede"), (terminated_after, "terminate")],
            key=lambda event: -1 if event[0] is None else event[0],
        )
        for after, what in events:
            if after is None:
                continue
            clock.moment = max(clock.moment, start + dt.timedelta(days=after))
            if what == "supersede" and sim.status != SimStatus.TERMINATED:
                second = identified(sim)
            elif what == "terminate":
                terminate(sim, system_actor)
                sim.refresh_from_db()
        clock.moment = max(clock.moment, start + dt.timedelta(days=run_after))
        cutoff = clock.moment - dt.timedelta(days=365)
        identification_retention_run(actor=system_actor)

        terminated_at = (
            start + dt.timedelta(days=terminated_after) if terminated_after is not None else None
        )
        terminated_due = (
            terminated_at is not None
            and max(terminated_at, second.verified_at if second else start) < cutoff
        )
        first.refresh_from_db()
        expected_first = terminated_due or (second is not None and second.verified_at < cutoff)
        assert (first.erased_at is not None) == expected_first
        if second is not None:
            second.refresh_from_db()
            assert (second.erased_at is not None) == terminated_due
        transaction.set_rollback(True)
