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
from topup.topups.selectors import LineFigures, topup_amounts_since_cents, topup_line_figures

BRUSSELS = ZoneInfo("Europe/Brussels")


def _period_start(period: str, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(BRUSSELS)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == LimitPeriod.MONTH:
        start = start.replace(day=1)
    return start


def topup_line_figures_read(*, channel: Channel, sim: Sim) -> LineFigures:
    """The line's open hold and what counts against the channel's limits per line: one read, for
    `sim_topup_check` and `topup_amount_check`. Call with the target line locked."""
    limits = limits_for_channel(channel=channel)
    starts = _period_starts(limits, now=clock.now()).get(LimitScope.SUBSCRIBER, {})
    return topup_line_figures(sim=sim, starts=starts)


def topup_amount_check(
    *,
    channel: Channel,
    sim: Sim,
    amount_cents: int,
    instrument_hash: str = "",
    line_figures: LineFigures | None = None,
) -> None:
    """Raise the first limit this amount breaks. Call with the target line locked; with the
    line's figures when the caller has read them already (`topup_line_figures_read`)."""
    if amount_cents < channel.min_amount_cents:
        raise AmountBelowMinimum(details={"minimum": format_amount(channel.min_amount_cents)})
    if amount_cents > channel.max_amount_cents:
        raise AmountAboveLimit(details={"maximum": format_amount(channel.max_amount_cents)})
    if not channel.free_amount_allowed:
        offered = channel_denominations_cents(channel=channel)
        if amount_cents not in offered:
            raise AmountNotOffered(details={"amounts": [format_amount(a) for a in offered]})
    limits = sorted(limits_for_channel(channel=channel), key=lambda lim: lim.max_amount_cents)
    used = _used_cents(limits, sim=sim, instrument_hash=instrument_hash, line_figures=line_figures)
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


def _period_starts(limits: list[Limit], *, now: dt.datetime) -> dict[str, dict[str, dt.datetime]]:
    """scope -> period -> its start, for the limits that count over a period."""
    periods: dict[str, dict[str, dt.datetime]] = {}
    for limit in limits:
        if limit.period != LimitPeriod.TRANSACTION:
            periods.setdefault(limit.scope, {})[limit.period] = _period_start(limit.period, now)
    return periods


def _used_cents(
    limits: list[Limit], *, sim: Sim, instrument_hash: str, line_figures: LineFigures | None
) -> dict[str, dict[str, int]]:
    """scope -> period -> cents already counting: one query per scope that has period limits
    (none for the line's when its figures were read with its hold)."""
    used = {}
    for scope, starts in _period_starts(limits, now=clock.now()).items():
        if scope == LimitScope.PAYMENT_INSTRUMENT:
            if not instrument_hash:
                continue
            used[scope] = topup_amounts_since_cents(starts=starts, instrument_hash=instrument_hash)
        elif line_figures is not None:
            used[scope] = line_figures.used_cents
        else:
            used[scope] = topup_amounts_since_cents(starts=starts, sim=sim)
    return used
