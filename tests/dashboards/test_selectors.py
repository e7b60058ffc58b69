"""The dashboards' figures against orders, kiosks and queues made through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from tests.support import FakeClock
from tests.topups.conftest import IDENTIFIED, IDENTIFIED_EMPTY, CreateOrder, Pay
from topup.audit.services import Actor
from topup.catalog.models import Kiosk, Shop
from topup.dashboards.errors import DashboardWindowInvalid
from topup.dashboards.selectors import (
    WINDOW_HOURS_MAX,
    KioskOutageReason,
    dashboard_channel_figures,
    dashboard_failure_reasons,
    dashboard_kiosks_out_of_service,
    dashboard_orders_pending,
    dashboard_overview,
    dashboard_shop_queues,
    dashboard_topups_per_hour,
    dashboard_window,
)
from topup.kiosks.models import KioskDevice
from topup.kiosks.selectors import HEARTBEAT_FRESH_S
from topup.kiosks.services import (
    kiosk_device_maintenance_set,
    kiosk_device_revoke,
    kiosk_heartbeat,
    kiosk_sweep_stale,
    kiosks_demo_setup,
)
from topup.ledger.verify import ledger_verify
from topup.topups.failures import failure_reason_message
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import topup_order_reconcile, topup_orders_sweep
from topup.topups.verify import topup_verify
from topup.visits.services import queue_call_next, queue_ticket_take

pytestmark = pytest.mark.django_db

# 12:30 UTC is 14:30 in Brussels (summer time): the 6-hour window runs from 09:00 to 15:00 local.
NOW = dt.datetime(2026, 6, 10, 12, 30, tzinfo=dt.UTC)
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT = "4000000000009995"
OPERATOR = Actor.system("tests")

Credit = Callable[[TopupOrder, str], TopupOrder]


@pytest.fixture
def settle(pay: Pay) -> Credit:
    """Pay on the simulator's page, then learn the outcome from the provider (as the sweep does)."""

    def run(order: TopupOrder, card: str) -> TopupOrder:
        pay(order, card)
        return topup_order_reconcile(order=order, actor=OPERATOR)

    return run


def at(clock: FakeClock, moment: dt.datetime) -> None:
    clock.moment = moment


def books_balance() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []


# --- The window -------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, -1, WINDOW_HOURS_MAX + 1, 10_000])
def test_a_window_outside_1_to_168_hours_is_refused(hours: int) -> None:
    with pytest.raises(DashboardWindowInvalid) as excinfo:
        dashboard_window(hours=hours)
    assert excinfo.value.code == "dashboard_window_invalid"
    assert excinfo.value.http_status == 422


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2035, 12, 31),
        timezones=st.just(dt.UTC),
    ),
    hours=st.integers(min_value=1, max_value=WINDOW_HOURS_MAX),
)
def test_every_hour_of_the_window_is_there_once_on_the_hour(
    clock: FakeClock, moment: dt.datetime, hours: int
) -> None:
    at(clock, moment)
    figures = dashboard_topups_per_hour(hours=hours)
    # Same-zone datetimes subtract as wall clocks; UTC shows the real hour between them.
    starts = [hour.start.astimezone(dt.UTC) for hour in figures.hours]
    assert len(starts) == hours
    assert all(b - a == dt.timedelta(hours=1) for a, b in itertools.pairwise(starts))
    assert starts[-1] <= moment < starts[-1] + dt.timedelta(hours=1)
    assert all(start.minute == 0 and start.second == 0 for start in starts)
    assert all(str(hour.start.tzinfo) == "Europe/Brussels" for hour in figures.hours)
    assert figures.total == 0


# --- Top-ups per channel and hour -------------------------------------------------------------


def test_each_order_counts_in_its_channel_and_local_hour(
    clock: FakeClock, create_order: CreateOrder
) -> None:
    at(clock, NOW - dt.timedelta(hours=6))  # 08:30 local: just before the 6-hour window
    create_order()
    at(clock, NOW - dt.timedelta(hours=2))  # 12:30 local
    create_order()
    create_order(channel="kiosk")
    at(clock, NOW - dt.timedelta(minutes=10))  # 14:20 local
    create_order(channel="shop")
    at(clock, NOW)

    figures = dashboard_topups_per_hour(hours=6)

    assert [hour.start.strftime("%H:%M") for hour in figures.hours] == [
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
    ]
    assert figures.channels == ("online", "shop", "kiosk")
    assert figures.channel_series("online") == [0, 0, 0, 1, 0, 0]
    assert figures.channel_series("shop") == [0, 0, 0, 0, 0, 1]
    assert figures.channel_series("kiosk") == [0, 0, 0, 1, 0, 0]
    assert figures.total == 3
    assert dashboard_topups_per_hour(hours=24).total == 4


def test_the_night_the_clocks_go_back_has_two_hours_labelled_two_oclock(
    clock: FakeClock, create_order: CreateOrder
) -> None:
    at(clock, dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC))  # 02:30 summer time
    create_order()
    at(clock, dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))  # 02:30 winter time
    create_order()
    create_order()
    at(clock, dt.datetime(2026, 10, 25, 3, 10, tzinfo=dt.UTC))  # 04:10 winter time

    figures = dashboard_topups_per_hour(hours=6)

    assert [hour.start.strftime("%H:%M") for hour in figures.hours] == [
        "00:00",
        "01:00",
        "02:00",
        "02:00",
        "03:00",
        "04:00",
    ]
    assert [hour.start.utcoffset() for hour in figures.hours] == [
        dt.timedelta(hours=offset) for offset in (2, 2, 2, 1, 1, 1)
    ]
    assert [hour.total for hour in figures.hours] == [0, 0, 1, 2, 0, 0]


# --- Success rate, amounts and failure reasons ---------------------------------------------------


def test_success_rate_and_amounts_credited_per_channel(
    clock: FakeClock, create_order: CreateOrder, settle: Credit
) -> None:
    at(clock, NOW - dt.timedelta(hours=3))
    assert settle(create_order(amount_cents=1000), SUCCEEDS).status == TopupStatus.CREDITED
    assert settle(create_order(amount_cents=2500), SUCCEEDS).status == TopupStatus.CREDITED
    assert settle(create_order(), DECLINED).status == TopupStatus.FAILED
    abandoned = create_order(amount_cents=1500)
    kiosk = settle(create_order(channel="kiosk", amount_cents=2000), SUCCEEDS)
    assert kiosk.status == TopupStatus.CREDITED
    at(clock, NOW - dt.timedelta(minutes=20))
    topup_orders_sweep(actor=OPERATOR)
    abandoned.refresh_from_db()
    assert abandoned.status == TopupStatus.EXPIRED
    create_order(msisdn=IDENTIFIED_EMPTY, amount_cents=5000)  # still waiting: not ended
    at(clock, NOW)

    summary = dashboard_channel_figures(hours=24)

    by_channel = {figures.channel: figures for figures in summary.channels}
    assert list(by_channel) == ["online", "shop", "kiosk"]
    online, shop, kiosk_figures = by_channel["online"], by_channel["shop"], by_channel["kiosk"]
    assert (online.created, online.credited, online.failed, online.expired) == (5, 2, 1, 1)
    assert online.success_percent == 50.0
    assert online.credited_cents == 3500
    assert (kiosk_figures.created, kiosk_figures.success_percent) == (1, 100.0)
    assert kiosk_figures.credited_cents == 2000
    assert (shop.created, shop.success_percent, shop.credited_cents) == (0, None, 0)
    assert summary.credited_cents == 5500
    assert summary.created == 6
    assert str(online.label) == "Online"
    assert dashboard_channel_figures(hours=2).created == 1  # only the one still waiting
    books_balance()


def test_failure_reasons_most_frequent_first_with_their_words(
    clock: FakeClock, create_order: CreateOrder, settle: Credit
) -> None:
    at(clock, NOW - dt.timedelta(hours=30))  # outside a 24-hour window
    settle(create_order(), INSUFFICIENT)
    at(clock, NOW - dt.timedelta(hours=5))
    settle(create_order(), DECLINED)
    settle(create_order(), DECLINED)
    settle(create_order(), INSUFFICIENT)
    create_order()  # abandoned: expires
    settle(create_order(), SUCCEEDS)
    at(clock, NOW - dt.timedelta(hours=1))
    topup_orders_sweep(actor=OPERATOR)
    at(clock, NOW)

    failures = dashboard_failure_reasons(hours=24)

    assert [(reason.reason, reason.count) for reason in failures.reasons] == [
        ("card_declined", 2),
        ("expired", 1),
        ("insufficient_funds", 1),
    ]
    assert failures.total == 4
    assert failures.reasons[0].label == str(failure_reason_message("card_declined"))
    assert dashboard_failure_reasons(hours=48).total == 5
    books_balance()


# --- Orders pending too long ----------------------------------------------------------------


def test_orders_pending_too_long_oldest_first_with_masked_numbers(
    clock: FakeClock, create_order: CreateOrder, settle: Credit, settings: Settings
) -> None:
    settings.TOPUP_DASHBOARD_PENDING_MINUTES = 15
    at(clock, NOW - dt.timedelta(minutes=40))
    oldest = create_order()
    at(clock, NOW - dt.timedelta(minutes=20))
    second = create_order(msisdn=IDENTIFIED_EMPTY, channel="kiosk", amount_cents=2000)
    settle(create_order(), SUCCEEDS)  # credited: not pending
    at(clock, NOW - dt.timedelta(minutes=5))
    create_order()  # pending, but not for long yet
    at(clock, NOW)

    pending = dashboard_orders_pending()

    assert [order.order_id for order in pending.orders] == [oldest.pk, second.pk]
    assert pending.total == 2
    assert pending.threshold_minutes == 15
    first = pending.orders[0]
    assert first.msisdn_masked == "0470 •• •• 01"
    assert first.minutes_pending == 40
    assert (first.status, first.channel, first.amount_cents) == ("awaiting_payment", "online", 1000)
    assert pending.orders[1].msisdn_masked == "0470 •• •• 02"
    assert IDENTIFIED not in repr(pending)
    assert "0470 00 00 01" not in repr(pending)

    only_one = dashboard_orders_pending(limit=1)
    assert [order.order_id for order in only_one.orders] == [oldest.pk]
    assert only_one.total == 2

    settings.TOPUP_DASHBOARD_PENDING_MINUTES = 30
    assert [order.order_id for order in dashboard_orders_pending().orders] == [oldest.pk]


# --- Kiosks and shop queues -----------------------------------------------------------------


def _outages() -> dict[str, KioskOutageReason]:
    return {outage.code: outage.reason for outage in dashboard_kiosks_out_of_service()}


def test_kiosks_out_of_service_each_with_its_reason(clock: FakeClock, demo: None) -> None:
    at(clock, NOW)
    kiosks_demo_setup()
    assert _outages() == {}
    Kiosk.objects.create(
        code="kiosk-gent",
        name="Gent-Sint-Pieters",
        address="Koningin Maria Hendrikaplein 1, 9000 Gent",
        latitude=Decimal("51.035900"),
        longitude=Decimal("3.710600"),
    )
    midi = KioskDevice.objects.get(kiosk__code="kiosk-bru-midi")
    liege = KioskDevice.objects.get(kiosk__code="kiosk-liege")
    kiosk_device_maintenance_set(device=midi, on=True, actor=OPERATOR)
    assert _outages() == {
        "kiosk-bru-midi": KioskOutageReason.MAINTENANCE,
        "kiosk-gent": KioskOutageReason.NOT_REGISTERED,
    }

    clock.advance(seconds=HEARTBEAT_FRESH_S + 1)
    assert _outages()["kiosk-liege"] == KioskOutageReason.SILENT
    kiosk_sweep_stale()
    assert _outages()["kiosk-liege"] == KioskOutageReason.OUT_OF_SERVICE
    kiosk_device_revoke(device=liege, actor=OPERATOR)
    assert _outages()["kiosk-liege"] == KioskOutageReason.REVOKED

    kiosk_heartbeat(device=midi, printer_status="ok", software_version="1")
    kiosk_device_maintenance_set(device=midi, on=False, actor=OPERATOR)
    assert "kiosk-bru-midi" not in _outages()
    Kiosk.objects.filter(code="kiosk-bru-midi").update(in_service=False)
    assert _outages()["kiosk-bru-midi"] == KioskOutageReason.WITHDRAWN

    kiosk_heartbeat(device=midi, printer_status="out_of_paper", software_version="1")
    Kiosk.objects.filter(code="kiosk-bru-midi").update(in_service=True)
    kiosk_heartbeat(device=midi, printer_status="out_of_paper", software_version="1")
    assert _outages()["kiosk-bru-midi"] == KioskOutageReason.OUT_OF_PAPER
    assert list(_outages()) == sorted(_outages())
    labels = {outage.code: outage.reason_label for outage in dashboard_kiosks_out_of_service()}
    assert labels["kiosk-gent"] == "No device registered"


def test_shop_queues_count_todays_waiting_tickets_longest_first(
    clock: FakeClock, demo: None
) -> None:
    brussels = Shop.objects.get(code="bru-central")
    antwerp = Shop.objects.get(code="antwerp-night")
    at(clock, NOW)
    assert [(q.shop_code, q.waiting) for q in dashboard_shop_queues()] == [
        ("bru-central", 0),
        ("antwerp-night", 0),
    ]
    at(clock, NOW - dt.timedelta(days=1))
    queue_ticket_take(shop=antwerp, source="shop")  # yesterday's, never called: not counted
    at(clock, NOW - dt.timedelta(minutes=40))
    queue_ticket_take(shop=antwerp, source="shop")
    at(clock, NOW - dt.timedelta(minutes=30))
    for _ in range(3):
        queue_ticket_take(shop=brussels, source="shop")
    second_ticket_at = NOW - dt.timedelta(minutes=25)
    at(clock, second_ticket_at)
    queue_ticket_take(shop=brussels, source="screen")
    agent = User.objects.create_user(username="agent.dashboards")
    at(clock, NOW - dt.timedelta(minutes=10))
    for _ in range(2):
        queue_call_next(shop=brussels, user=agent)
    at(clock, NOW)

    queues = dashboard_shop_queues()

    assert [(q.shop_code, q.waiting) for q in queues] == [
        ("bru-central", 2),
        ("antwerp-night", 1),
    ]
    assert queues[0].waiting_since == NOW - dt.timedelta(minutes=30)
    assert queues[1].waiting_since == NOW - dt.timedelta(minutes=40)
    queue_call_next(shop=brussels, user=agent)
    assert dashboard_shop_queues()[0].waiting_since == second_ticket_at


# --- Query counts -------------------------------------------------------------------------------


OVERVIEW_QUERIES_MAX = 8  # 9 once more than 50 orders are pending (their count)


def test_the_overview_reads_in_a_fixed_number_of_queries(
    clock: FakeClock,
    create_order: CreateOrder,
    settle: Credit,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    at(clock, NOW - dt.timedelta(hours=1))
    kiosks_demo_setup()
    brussels = Shop.objects.get(code="bru-central")
    settle(create_order(), DECLINED)
    create_order(channel="kiosk")
    queue_ticket_take(shop=brussels, source="shop")
    at(clock, NOW)
    with django_assert_max_num_queries(OVERVIEW_QUERIES_MAX):
        small = dashboard_overview(hours=24)
    assert small.pending.total == 1

    at(clock, NOW - dt.timedelta(minutes=50))
    for channel in ("online", "shop", "kiosk", "online", "kiosk"):
        create_order(channel=channel, msisdn=IDENTIFIED_EMPTY)
    settle(create_order(), INSUFFICIENT)
    for _ in range(4):
        queue_ticket_take(shop=brussels, source="shop")
    Kiosk.objects.create(
        code="kiosk-namur",
        name="Namur station",
        address="Place de la Station, 5000 Namur",
        latitude=Decimal("50.468800"),
        longitude=Decimal("4.862600"),
    )
    at(clock, NOW)
    with django_assert_max_num_queries(OVERVIEW_QUERIES_MAX):
        large = dashboard_overview(hours=24)
    assert large.pending.total == 6
    assert large.per_hour.total == 8
    assert len(large.kiosks_out_of_service) == 3  # two silent demo kiosks and the new one
