"""Reads of the catalog: what a channel offers and which limits apply.

The channel, its payment methods, denominations and limits are read on every top-up, and change
a few times a year: they are kept per process for CATALOG_CACHE_TTL_S seconds. A change saved in
this process (admin, demo data, tests) clears the cache at once and again when it commits; one
saved by another process (another gunicorn worker, the task worker) takes effect there within
CATALOG_CACHE_TTL_S. The cached rows are shared: read them, never change and save them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

from django.db import transaction
from django.db.models import Q

from topup.catalog.models import (
    Brand,
    Channel,
    Denomination,
    Limit,
    Operator,
    PaymentMethod,
    Plan,
)

CATALOG_CACHE_TTL_S: Final = 5.0

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")
_CACHE_CLEARS: list[Callable[[], None]] = []


class _TimedCache(Generic[_Key, _Value]):
    """Values kept for CATALOG_CACHE_TTL_S; a load that raced a clear is not kept."""

    def __init__(self) -> None:
        self._entries: dict[_Key, tuple[float, _Value]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        _CACHE_CLEARS.append(self.clear)

    def get(self, key: _Key, load: Callable[[], _Value]) -> _Value:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self._generation
        value = load()
        with self._lock:
            if generation == self._generation:
                self._entries[key] = (now + CATALOG_CACHE_TTL_S, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


def catalog_cache_clear() -> None:
    """Forget the cached catalog now and when the current transaction commits (call on saves)."""
    catalog_cache_forget()
    transaction.on_commit(catalog_cache_forget)


def catalog_cache_forget() -> None:
    """Forget the cached catalog now (no database needed: tests call it between tests)."""
    for clear in _CACHE_CLEARS:
        clear()


_channels: _TimedCache[str, Channel | None] = _TimedCache()
_payment_methods: _TimedCache[int, tuple[PaymentMethod, ...]] = _TimedCache()
_denominations: _TimedCache[int, tuple[int, ...]] = _TimedCache()
_limits: _TimedCache[int, tuple[Limit, ...]] = _TimedCache()


def channel_get(*, code: str) -> Channel | None:
    return _channels.get(code, lambda: Channel.objects.filter(code=code).first())


def channel_payment_methods(*, channel: Channel) -> list[PaymentMethod]:
    def load() -> tuple[PaymentMethod, ...]:
        return tuple(
            PaymentMethod.objects.filter(
                channelpaymentmethod__channel=channel, channelpaymentmethod__enabled=True
            ).order_by("channelpaymentmethod__sort_order", "id")
        )

    return list(_payment_methods.get(channel.pk, load))


def channel_denominations_cents(*, channel: Channel) -> list[int]:
    def load() -> tuple[int, ...]:
        return tuple(
            Denomination.objects.filter(channel=channel)
            .order_by("sort_order", "amount_cents")
            .values_list("amount_cents", flat=True)
        )

    return list(_denominations.get(channel.pk, load))


def limits_for_channel(*, channel: Channel) -> list[Limit]:
    """Channel-specific limits and the ones that apply to every channel."""

    def load() -> tuple[Limit, ...]:
        return tuple(Limit.objects.filter(Q(channel=channel) | Q(channel__isnull=True)))

    return list(_limits.get(channel.pk, load))


def operator_get() -> Operator:
    operator = Operator.objects.order_by("id").first()
    if operator is None:
        raise LookupError("no operator configured: load the catalog first")
    return operator


def brand_for_operator(*, operator: Operator) -> Brand | None:
    return Brand.objects.filter(operator=operator).order_by("id").first()


MAX_PLANS = 100


def plans_active(*, operator: Operator) -> list[Plan]:
    """The operator's plans on sale, cheapest first (bounded: a catalogue, not a table scan)."""
    return list(
        Plan.objects.filter(active=True, brand__operator=operator).order_by("price_cents", "name")[
            :MAX_PLANS
        ]
    )
