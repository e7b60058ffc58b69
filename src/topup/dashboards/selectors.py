"""Reads for the operations dashboards: top-ups per channel and hour, failures, pending orders,
kiosks out of service and shop queues. Reads only; every figure is bounded in time or in rows.

A window of N hours is N whole hours of the operator's clock (Europe/Brussels), the last one
being the current, unfinished hour. Belgian offsets from UTC are whole hours, so the orders are
bucketed by UTC hour in the database (the same SQL on SQLite and PostgreSQL, and no hour is
merged or lost when the clocks change) and each bucket is labelled with its local hour.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from topup.catalog.models import Channel, Kiosk, Shop
from topup.core import clock
from topup.dashboards.errors import DashboardWindowInvalid
from topup.kiosks.models import KioskDevice, KioskStatus
from topup.kiosks.selectors import HEARTBEAT_FRESH_S
from topup.receipts.labels import channel_label, payment_method_label
from topup.subscribers.numbers import format_msisdn_masked
from topup.topups.failures import failure_reason_message
from topup.topups.models import TopupOrder, TopupStatus
from topup.visits.models import TicketStatus

WINDOW_HOURS_MAX: Final = 168
PENDING_ORDERS_LIMIT: Final = 50
FAILURE_REASONS_LIMIT: Final = 20
KIOSK_OUTAGES_LIMIT: Final = 100
SHOP_QUEUES_LIMIT: Final = 200
PENDING_STATUSES: Final = (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT, TopupStatus.PAID)
# The statuses an order ends in; the success rate counts credited among them.
CONCLUDED_STATUSES: Final = (TopupStatus.CREDITED, TopupStatus.FAILED, TopupStatus.EXPIRED)


# --- The window --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardWindow:
    hours: int
    start: dt.datetime  # UTC, on the hour: the start of the first hour shown
    until: dt.datetime  # UTC, on the hour: the end of the current hour

    def hour_starts(self) -> list[dt.datetime]:
        return [self.start + dt.timedelta(hours=index) for index in range(self.hours)]


def dashboard_window(*, hours: int) -> DashboardWindow:
    """The last `hours` whole hours (1 to WINDOW_HOURS_MAX), the current hour included."""
    if isinstance(hours, bool) or not 1 <= hours <= WINDOW_HOURS_MAX:
        raise DashboardWindowInvalid(details={"hours": hours, "max": WINDOW_HOURS_MAX})
    current = clock.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = current - dt.timedelta(hours=hours - 1)
    return DashboardWindow(hours=hours, start=start, until=current + dt.timedelta(hours=1))


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def _orders_in(window: DashboardWindow) -> Q:
    return Q(created_at__gte=window.start, created_at__lt=window.until)


def _channel_codes(seen: set[str]) -> tuple[str, ...]:
    """The catalog's channels in catalog order, then any other channel an order carries."""
    catalog = list(Channel.objects.order_by("pk").values_list("code", flat=True))
    return tuple(catalog + sorted(seen - set(catalog)))


# --- Top-ups per channel and hour ---------------------------------------------------------------


@dataclass(frozen=True)
class HourCounts:
    start: dt.datetime  # the hour's start on the operator's clock (Europe/Brussels)
    counts: tuple[int, ...]  # one per channel, in the order of TopupsPerHour.channels

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class TopupsPerHour:
    window: DashboardWindow
    channels: tuple[str, ...]
    hours: tuple[HourCounts, ...]  # every hour of the window, oldest first, zeros included

    @property
    def total(self) -> int:
        return sum(hour.total for hour in self.hours)

    def channel_series(self, channel: str) -> list[int]:
        index = self.channels.index(channel)
        return [hour.counts[index] for hour in self.hours]


def dashboard_topups_per_hour(*, hours: int) -> TopupsPerHour:
    """Orders created per channel in each hour of the window (all statuses), zeros included."""
    window = dashboard_window(hours=hours)
    rows = (
        TopupOrder.objects.filter(_orders_in(window))
        .annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
        .values("channel", "hour")
        .annotate(count=Count("id"))
        .order_by()
    )
    counted = {(row["channel"], row["hour"]): int(row["count"]) for row in rows}
    channels = _channel_codes({channel for channel, _hour in counted})
    return TopupsPerHour(
        window=window,
        channels=channels,
        hours=tuple(
            HourCounts(
                start=_local(start),
                counts=tuple(counted.get((channel, start), 0) for channel in channels),
            )
            for start in window.hour_starts()
        ),
    )


# --- Success rate and amounts per channel -------------------------------------------------------


@dataclass(frozen=True)
class ChannelFigures:
    """The window's orders of one channel: how they ended, and what reached the customers."""

    channel: str
    created: int
    credited: int
    failed: int
    expired: int
    credited_cents: int  # the amounts of the window's orders that are credited

    @property
    def label(self) -> str:
        return channel_label(self.channel)

    @property
    def concluded(self) -> int:
        return self.credited + self.failed + self.expired

    @property
    def success_percent(self) -> float | None:
        """credited / (credited + failed + expired) * 100; None while no order has ended."""
        if self.concluded == 0:
            return None
        return 100 * self.credited / self.concluded


@dataclass(frozen=True)
class ChannelSummary:
    window: DashboardWindow
    channels: tuple[ChannelFigures, ...]

    @property
    def credited_cents(self) -> int:
        return sum(figures.credited_cents for figures in self.channels)

    @property
    def created(self) -> int:
        return sum(figures.created for figures in self.channels)


def dashboard_channel_figures(*, hours: int) -> ChannelSummary:
    """Per channel, of the orders created in the window: success rate and amounts credited."""
    window = dashboard_window(hours=hours)
    rows = (
        TopupOrder.objects.filter(_orders_in(window))
        .values("channel")
        .annotate(
            created=Count("id"),
            credited=Count("id", filter=Q(status=TopupStatus.CREDITED)),
            failed=Count("id", filter=Q(status=TopupStatus.FAILED)),
            expired=Count("id", filter=Q(status=TopupStatus.EXPIRED)),
            credited_cents=Sum("amount_cents", filter=Q(status=TopupStatus.CREDITED)),
        )
        .order_by()
    )
    by_channel = {
        row["channel"]: ChannelFigures(
            channel=row["channel"],
            created=int(row["created"]),
            credited=int(row["credited"]),
            failed=int(row["failed"]),
            expired=int(row["expired"]),
            credited_cents=int(row["credited_cents"] or 0),
        )
        for row in rows
    }
    figures = [
        by_channel.get(channel)
        or ChannelFigures(
            channel=channel, created=0, credited=0, failed=0, expired=0, credited_cents=0
        )
        for channel in _channel_codes(set(by_channel))
    ]
    return ChannelSummary(window=window, channels=tuple(figures))


# --- Failure reasons ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureReasonCount:
    reason: str  # the stored code ("card_declined", "expired"); "" when none was recorded
    count: int

    @property
    def label(self) -> str:
        return str(failure_reason_message(self.reason))


@dataclass(frozen=True)
class FailureReasons:
    window: DashboardWindow
    reasons: tuple[FailureReasonCount, ...]  # most frequent first

    @property
    def total(self) -> int:
        return sum(reason.count for reason in self.reasons)


def dashboard_failure_reasons(*, hours: int) -> FailureReasons:
    """Why the window's orders failed or expired, most frequent reason first."""
    window = dashboard_window(hours=hours)
    rows = (
        TopupOrder.objects.filter(
            _orders_in(window), status__in=(TopupStatus.FAILED, TopupStatus.EXPIRED)
        )
        .values("failure_reason")
        .annotate(count=Count("id"))
        .order_by("-count", "failure_reason")[:FAILURE_REASONS_LIMIT]
    )
    return FailureReasons(
        window=window,
        reasons=tuple(
            FailureReasonCount(reason=row["failure_reason"], count=int(row["count"]))
            for row in rows
        ),
    )


# --- Orders pending too long --------------------------------------------------------------------


PENDING_STATUS_LABELS: Final[dict[str, Promise]] = {
    TopupStatus.CREATED: _("Created, payment not started"),
    TopupStatus.AWAITING_PAYMENT: _("Awaiting payment"),
    TopupStatus.PAID: _("Paid, not credited yet"),
}


@dataclass(frozen=True)
class PendingOrder:
    order_id: uuid.UUID
    channel: str
    status: str
    amount_cents: int
    payment_method: str
    created_at: dt.datetime
    msisdn_masked: str  # `0470 •• •• 56`: enough to recognise, not to read
    minutes_pending: int

    @property
    def channel_label(self) -> str:
        return channel_label(self.channel)

    @property
    def status_label(self) -> str:
        return str(PENDING_STATUS_LABELS.get(self.status, self.status))

    @property
    def payment_method_label(self) -> str:
        return payment_method_label(self.payment_method)


@dataclass(frozen=True)
class PendingOrders:
    threshold_minutes: int
    orders: tuple[PendingOrder, ...]  # oldest first, at most PENDING_ORDERS_LIMIT
    total: int  # all orders pending longer than the threshold


def dashboard_orders_pending(*, limit: int = PENDING_ORDERS_LIMIT) -> PendingOrders:
    """Orders still created, awaiting payment or paid after TOPUP_DASHBOARD_PENDING_MINUTES."""
    limit = max(1, min(limit, PENDING_ORDERS_LIMIT))
    threshold_minutes = int(settings.TOPUP_DASHBOARD_PENDING_MINUTES)
    now = clock.now()
    stuck = TopupOrder.objects.filter(
        status__in=PENDING_STATUSES,
        created_at__lte=now - dt.timedelta(minutes=threshold_minutes),
    )
    rows = stuck.order_by("created_at", "id").values_list(
        "id", "channel", "status", "amount_cents", "payment_method", "created_at", "sim__msisdn"
    )[:limit]
    orders = tuple(
        PendingOrder(
            order_id=order_id,
            channel=channel,
            status=status,
            amount_cents=amount_cents,
            payment_method=payment_method,
            created_at=created_at,
            msisdn_masked=format_msisdn_masked(msisdn),
            minutes_pending=int((now - created_at).total_seconds() // 60),
        )
        for order_id, channel, status, amount_cents, payment_method, created_at, msisdn in rows
    )
    total = len(orders) if len(orders) < limit else stuck.count()
    return PendingOrders(threshold_minutes=threshold_minutes, orders=orders, total=total)


# --- Kiosks out of service ----------------------------------------------------------------------


class KioskOutageReason(enum.StrEnum):
    NOT_REGISTERED = "not_registered"  # no device stands at this catalog kiosk yet
    WITHDRAWN = "withdrawn"  # the catalog entry is out of service
    REVOKED = "revoked"
    MAINTENANCE = KioskStatus.MAINTENANCE.value
    OUT_OF_PAPER = KioskStatus.OUT_OF_PAPER.value
    OUT_OF_SERVICE = KioskStatus.OUT_OF_SERVICE.value
    SILENT = "silent"  # says it is in service, but no heartbeat for HEARTBEAT_FRESH_S


KIOSK_OUTAGE_LABELS: Final[dict[KioskOutageReason, Promise]] = {
    KioskOutageReason.NOT_REGISTERED: _("No device registered"),
    KioskOutageReason.WITHDRAWN: _("Withdrawn from service in the catalog"),
    KioskOutageReason.REVOKED: _("Device revoked"),
    KioskOutageReason.MAINTENANCE: _("In maintenance"),
    KioskOutageReason.OUT_OF_PAPER: _("Out of paper"),
    KioskOutageReason.OUT_OF_SERVICE: _("Out of service"),
    KioskOutageReason.SILENT: _("Silent: no recent heartbeat"),
}


@dataclass(frozen=True)
class KioskOutage:
    code: str
    name: str
    address: str
    reason: KioskOutageReason
    last_heartbeat_at: dt.datetime | None

    @property
    def reason_label(self) -> str:
        return str(KIOSK_OUTAGE_LABELS[self.reason])


def _outage_reason(
    kiosk: Kiosk, device: KioskDevice | None, fresh_since: dt.datetime
) -> KioskOutageReason | None:
    if device is None:
        return KioskOutageReason.NOT_REGISTERED
    if device.revoked_at is not None:
        return KioskOutageReason.REVOKED
    if not kiosk.in_service:
        return KioskOutageReason.WITHDRAWN
    if device.status != KioskStatus.IN_SERVICE:
        return KioskOutageReason(device.status)
    if device.last_heartbeat_at is None or device.last_heartbeat_at <= fresh_since:
        return KioskOutageReason.SILENT
    return None


def dashboard_kiosks_out_of_service() -> tuple[KioskOutage, ...]:
    """Kiosks a customer cannot use now (the finder leaves them out), by kiosk code."""
    fresh_since = clock.now() - dt.timedelta(seconds=HEARTBEAT_FRESH_S)
    unusable = (
        Q(device__isnull=True)
        | Q(in_service=False)
        | Q(device__revoked_at__isnull=False)
        | ~Q(device__status=KioskStatus.IN_SERVICE)
        | Q(device__last_heartbeat_at__isnull=True)
        | Q(device__last_heartbeat_at__lte=fresh_since)
    )
    kiosks = Kiosk.objects.select_related("device").filter(unusable).order_by("code")
    outages = []
    for kiosk in kiosks[:KIOSK_OUTAGES_LIMIT]:
        device: KioskDevice | None = getattr(kiosk, "device", None)
        reason = _outage_reason(kiosk, device, fresh_since)
        if reason is not None:
            outages.append(
                KioskOutage(
                    code=kiosk.code,
                    name=kiosk.name,
                    address=kiosk.address,
                    reason=reason,
                    last_heartbeat_at=device.last_heartbeat_at if device else None,
                )
            )
    return tuple(outages)


# --- Shop queues --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopQueue:
    shop_code: str
    shop_name: str
    waiting: int  # today's tickets still waiting to be called
    waiting_since: dt.datetime | None  # when the longest-waiting ticket was taken


def dashboard_shop_queues() -> tuple[ShopQueue, ...]:
    """Every shop's queue now: longest queue first (shops with nobody waiting included)."""
    # The service day as the visits app numbers tickets: the operator's local date.
    today = _local(clock.now()).date()
    waiting = Q(queue_tickets__service_day=today, queue_tickets__status=TicketStatus.WAITING)
    rows = (
        Shop.objects.annotate(
            waiting=Count("queue_tickets", filter=waiting),
            waiting_since=Min("queue_tickets__taken_at", filter=waiting),
        )
        .order_by("-waiting", "name", "pk")
        .values_list("code", "name", "waiting", "waiting_since")[:SHOP_QUEUES_LIMIT]
    )
    return tuple(
        ShopQueue(shop_code=code, shop_name=name, waiting=int(count), waiting_since=since)
        for code, name, count, since in rows
    )


# --- Everything on one screen -------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardOverview:
    per_hour: TopupsPerHour
    channels: ChannelSummary
    failures: FailureReasons
    pending: PendingOrders
    kiosks_out_of_service: tuple[KioskOutage, ...]
    shop_queues: tuple[ShopQueue, ...]

    @property
    def window(self) -> DashboardWindow:
        return self.per_hour.window


def dashboard_overview(*, hours: int) -> DashboardOverview:
    """All the figures of the operations dashboard for a window of `hours` hours."""
    return DashboardOverview(
        per_hour=dashboard_topups_per_hour(hours=hours),
        channels=dashboard_channel_figures(hours=hours),
        failures=dashboard_failure_reasons(hours=hours),
        pending=dashboard_orders_pending(),
        kiosks_out_of_service=dashboard_kiosks_out_of_service(),
        shop_queues=dashboard_shop_queues(),
    )
