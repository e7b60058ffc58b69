"""Customer service corrects a subscriber's name: the old value stays, with reason and actor."""

from __future__ import annotations

import pytest

from tests.topups.conftest import AWAITING_IDENTIFICATION, IDENTIFIED
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.core.errors import ApplicationError
from topup.subscribers.models import Subscriber, SubscriberCorrection
from topup.subscribers.selectors import sim_get_by_msisdn
from topup.subscribers.services import sim_create, subscriber_details_correct

pytestmark = pytest.mark.django_db


def _names(msisdn: str) -> tuple[str, str]:
    subscriber = Subscriber.objects.get(sims__msisdn=msisdn)
    return subscriber.first_name, subscriber.last_name


def test_a_correction_changes_the_name_and_keeps_the_old_one(demo: None, staff: Actor) -> None:
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED)
    correction = subscriber_details_correct(
        sim=sim,
        first_name="  Jan ",
        last_name="Peters",
        reason="Misspelt at the shop; checked against the eID",
        actor=staff,
    )
    assert _names(IDENTIFIED) == ("Jan", "Peters")
    stored = SubscriberCorrection.objects.get(pk=correction.pk)
    assert stored.field == "name"
    assert stored.old_value == {"first_name": "Jan", "last_name": "Peeters"}
    assert stored.new_value == {"first_name": "Jan", "last_name": "Peters"}
    assert stored.reason == "Misspelt at the shop; checked against the eID"
    assert stored.corrected_by == "staff:41"
    audit = AuditEvent.objects.get(action="subscriber.corrected")
    assert (audit.actor_type, audit.actor_id, audit.ip_address) == ("staff", "41", "192.0.2.41")
    assert audit.object_id == str(stored.subscriber_id)
    assert audit.reason == stored.reason
    assert audit.data == {"correction_id": stored.pk, "sim_id": sim.pk, "fields": ["last_name"]}


def test_each_correction_is_kept_in_the_history(demo: None, staff: Actor) -> None:
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED)
    subscriber_details_correct(
        sim=sim, first_name="Jan", last_name="Peters", reason="first", actor=staff
    )
    subscriber_details_correct(
        sim=sim, first_name="Johan", last_name="Peeters", reason="second", actor=staff
    )
    history = list(SubscriberCorrection.objects.filter(subscriber=sim.subscriber).order_by("id"))
    assert [(c.old_value["last_name"], c.new_value["last_name"]) for c in history] == [
        ("Peeters", "Peters"),
        ("Peters", "Peeters"),
    ]
    assert _names(IDENTIFIED) == ("Johan", "Peeters")


@pytest.mark.parametrize(
    ("first_name", "last_name", "reason", "code"),
    [
        ("Jan", "Peters", "   ", "correction_reason_missing"),
        ("Jan", "Peeters", "checked", "correction_changes_nothing"),
        (" ", "", "checked", "invalid_subscriber_name"),
        ("J" * 101, "Peeters", "checked", "invalid_subscriber_name"),
    ],
)
def test_a_refused_correction_changes_nothing(
    demo: None, staff: Actor, first_name: str, last_name: str, reason: str, code: str
) -> None:
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED)
    with pytest.raises(ApplicationError) as excinfo:
        subscriber_details_correct(
            sim=sim, first_name=first_name, last_name=last_name, reason=reason, actor=staff
        )
    assert excinfo.value.code == code
    assert excinfo.value.http_status == 422
    assert _names(IDENTIFIED) == ("Jan", "Peeters")
    assert not SubscriberCorrection.objects.exists()
    assert not AuditEvent.objects.filter(action="subscriber.corrected").exists()


def test_a_line_without_a_subscriber_has_no_record_to_correct(demo: None, staff: Actor) -> None:
    brand = Brand.objects.get()
    sim = sim_create(
        msisdn="0470 99 88 77",
        iccid="8932000000000000998",
        brand=brand,
        subscriber=None,
        actor=staff,
    )
    with pytest.raises(ApplicationError) as excinfo:
        subscriber_details_correct(
            sim=sim, first_name="A", last_name="B", reason="checked", actor=staff
        )
    assert excinfo.value.code == "subscriber_not_identified"


def test_a_line_awaiting_identification_has_its_name_corrected(demo: None, staff: Actor) -> None:
    """The name belongs to the subscriber: the line given is updated with the corrected one."""
    sim = sim_get_by_msisdn(msisdn=AWAITING_IDENTIFICATION)
    subscriber_details_correct(
        sim=sim, first_name="Marie", last_name="Dubois-Leroy", reason="marriage", actor=staff
    )
    assert sim.subscriber is not None
    assert sim.subscriber.last_name == "Dubois-Leroy"
    assert _names(AWAITING_IDENTIFICATION) == ("Marie", "Dubois-Leroy")
