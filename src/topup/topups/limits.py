"""Checks an amount against a channel's range, denominations and the configured limits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from topup.catalog.models import Channel, Limit, LimitPeriod, LimitScope
from topup.catalog.selectors import channel_denominations_cents, limits_for_channel
from topup.core import clock
from topup.core.money import format_amount
from topup.subscribers.models import Sim
from topup.topups.errors import (
    AmountAboveLimit,
    AmountBelowMinimum,
    AmountNotOffered,
    DailyLimitReached,
    MonthlyLimitReached,
)
from topup.topups.selectors import topup_amounts_since_cents

BRUSSELS = ZoneInfo("Europe/Brussels")


def _period_start(period: str, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(BRUSSELS)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == LimitPeriod.MONTH:
        start = start.replace(day=1)
    return start


def topup_amount_check(
    *, channel: Channel, sim: Sim, amount_cents: int, instrument_hash: str = ""
) -> None:
    """Raise the first limit this amount breaks. Call with the target line locked."""
    if amount_cents < channel.min_amount_cents:
        raise AmountBelowMinimum(details={"minimum": format_amount(channel.min_amount_cents)})
    if amount_cents > channel.max_amount_cents:
        raise AmountAboveLimit(details={"maximum": format_amount(channel.max_amount_cents)})
    if not channel.free_amount_allowed:
        offered = channel_denominations_cents(channel=channel)
        if amount_cents not in offered:
            raise AmountNotOffered(details={"amounts": [format_amount(a) for a in offered]})
    limits = sorted(limits_for_channel(channel=channel), key=lambda lim: lim.max_amount_cents)
    used = _used_cents(limits, sim=sim, instrument_hash=instrument_hash)
    for limit in limits:
        if limit.period == LimitPeriod.TRANSACTION:
            if amount_cents > limit.max_amount_cents:
                raise AmountAboveLimit(details={"maximum": format_amount(limit.max_amount_cents)})
            continue
        if limit.scope == LimitScope.PAYMENT_INSTRUMENT and not instrument_hash:
            continue  # the instrument is known only once the provider has tokenised it
        used_cents = used[limit.scope][limit.period]
        if used_cents + amount_cents > limit.max_amount_cents:
            remaining = format_amount(max(0, limit.max_amount_cents - used_cents))
            error = DailyLimitReached if limit.period == LimitPeriod.DAY else MonthlyLimitReached
            raise error(details={"remaining": remaining, "scope": limit.scope})


def _used_cents(
    limits: list[Limit], *, sim: Sim, instrument_hash: str
) -> dict[str, dict[str, int]]:
    """scope -> period -> cents already counting: one query per scope that has period limits."""
    now = clock.now()
    periods: dict[str, dict[str, dt.datetime]] = {}
    for limit in limits:
        if limit.period != LimitPeriod.TRANSACTION:
            periods.setdefault(limit.scope, {})[limit.period] = _period_start(limit.period, now)
    used = {}
    for scope, starts in periods.items():
        if scope == LimitScope.PAYMENT_INSTRUMENT:
            if not instrument_hash:
                continue
            used[scope] = topup_amounts_since_cents(starts=starts, instrument_hash=instrument_hash)
        else:
            used[scope] = topup_amounts_since_cents(starts=starts, sim=sim)
    return used
