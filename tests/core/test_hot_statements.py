"""The hot statements (topup.core.prepared, topup.core.rawsql) on the engine of the run: they
write what the ORM would, refuse what the database refuses, and take part in transactions."""

from __future__ import annotations

import datetime as dt
import sys
import threading

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import threads_together
from topup.core import clock
from topup.core.prepared import PreparedStatement, hot_query
from topup.core.rawsql import model_insert, models_insert_together
from topup.payments.models import Payment, PaymentAttempt

pytestmark = pytest.mark.django_db


def payment(provider_payment_id: str, *, amount_cents: int = 1_000) -> Payment:
    now = clock.now()
    return Payment(
        provider="simulator",
        provider_payment_id=provider_payment_id,
        reference="order-1",
        amount_cents=amount_cents,
        currency="EUR",
        method="card",
        status="pending",
        created_at=now,
        updated_at=now,
    )


def attempt(*, payment_id: int | None = None) -> PaymentAttempt:
    return PaymentAttempt(
        payment_id=payment_id,
        reference="order-1",
        provider="simulator",
        operation="create",
        succeeded=True,
        error_code="",
        duration_ms=12,
        request_summary={"amount_cents": 1_000, "method": "card"},
        response_summary={"status": "pending"},
        at=clock.now(),
    )


KEY = ("provider", "provider_payment_id")


def test_an_inserted_row_reads_back_as_the_orm_wrote_it() -> None:
    row = payment("sim_pay_1")

    assert model_insert(row, unless_conflicting_on=KEY)

    stored = Payment.objects.get(pk=row.pk)
    assert (stored.provider_payment_id, stored.amount_cents) == ("sim_pay_1", 1_000)
    assert stored.created_at == row.created_at
    assert stored.created_at.tzinfo is not None


def test_a_conflicting_row_is_not_inserted_and_nothing_changes() -> None:
    assert model_insert(payment("sim_pay_1"), unless_conflicting_on=KEY)

    again = payment("sim_pay_1", amount_cents=2_000)
    assert not model_insert(again, unless_conflicting_on=KEY)

    assert again.pk is None
    assert list(Payment.objects.values_list("amount_cents", flat=True)) == [1_000]


def test_a_row_under_a_false_condition_is_not_inserted() -> None:
    assert not model_insert(payment("sim_pay_1"), only_if="1 = 0")
    assert model_insert(payment("sim_pay_2"), only_if="1 = 1")

    assert list(Payment.objects.values_list("provider_payment_id", flat=True)) == ["sim_pay_2"]


def test_a_dependent_row_takes_the_id_given_to_the_first() -> None:
    row, its_attempt = payment("sim_pay_1"), attempt()

    with transaction.atomic():
        assert models_insert_together(row, its_attempt, unless_conflicting_on=KEY)

    stored = PaymentAttempt.objects.get()
    assert stored.payment_id == row.pk == its_attempt.payment_id
    assert stored.request_summary == {"amount_cents": 1_000, "method": "card"}


def test_dependents_are_not_inserted_when_the_first_conflicts() -> None:
    assert model_insert(payment("sim_pay_1"), unless_conflicting_on=KEY)

    with transaction.atomic():
        inserted = models_insert_together(
            payment("sim_pay_1"), attempt(), unless_conflicting_on=KEY
        )

    assert not inserted
    assert not PaymentAttempt.objects.exists()


def test_a_refused_row_raises_djangos_error_and_rolls_back_its_transaction() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        model_insert(payment("sim_pay_1"))
        model_insert(payment("sim_pay_2", amount_cents=0))  # payment_positive

    assert not Payment.objects.exists()


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    number=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    moment=st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(dt.UTC),
    ),
)
def test_a_hot_query_returns_its_parameters_as_the_driver_reads_them(
    text: str, number: int, moment: dt.datetime
) -> None:
    """What a parameter means does not depend on the engine: text, big numbers, moments."""
    cast = "CAST(%s AS TEXT), CAST(%s AS BIGINT)"
    (row,) = hot_query(f"SELECT {cast}").rows([text, number])
    assert row == (text, number)
    if connection.vendor == "postgresql":
        (stamped,) = hot_query("SELECT CAST(%s AS TIMESTAMPTZ)").rows([moment])
        assert stamped[0] == moment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_that_build_a_statement_at_once_all_use_it_afterwards() -> None:
    """gthread workers meet a statement for the first time in several threads at once: each
    thread's connection must know it as prepared, on the first use and every one after."""

    connected = threading.Barrier(8)

    def work(index: int) -> None:
        connection.ensure_connection()
        connected.wait()  # then all at once at the statement none of them has met
        for round_ in range(3):
            with transaction.atomic():
                # A payment with two attempts: a shape no other test builds, so new here.
                inserted = models_insert_together(
                    payment(f"sim_pay_{index}_{round_}"), attempt(), attempt()
                )
            assert inserted

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave at every chance, as on a busy server
    try:
        errors = threads_together(work, threads=8)
    finally:
        sys.setswitchinterval(switching)

    assert errors == []
    assert PaymentAttempt.objects.count() == 8 * 3 * 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_under_its_name_by_another_object_is_used_as_it_is() -> None:
    sql = "SELECT $1::bigint + 1"
    first, second = (
        PreparedStatement("topup_test_twice", sql),
        PreparedStatement("topup_test_twice", sql),
    )
    assert first.rows([b"1"]) == [(2,)]

    assert second.rows([b"2"]) == [(3,)]  # outside a transaction: found prepared, then run
    with pytest.raises(ProgrammingError), transaction.atomic():
        PreparedStatement("topup_test_twice", sql).rows([b"3"])  # in one: that one aborts
    with transaction.atomic():
        assert second.rows([b"4"]) == [(5,)]
