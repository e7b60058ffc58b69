"""The per-process catalog cache: a catalog change saved in this process counts at once."""

from __future__ import annotations

import pytest

from tests.topups.conftest import CreateOrder
from topup.catalog.models import Channel, ChannelPaymentMethod, Limit, LimitPeriod
from topup.catalog.selectors import catalog_cache_clear
from topup.core.errors import ApplicationError
from topup.topups.models import TopupStatus


def _refusal(create_order: CreateOrder, **request: object) -> str:
    with pytest.raises(ApplicationError) as excinfo:
        create_order(**request)
    return excinfo.value.code


def test_a_saved_limit_counts_for_the_next_order(create_order: CreateOrder) -> None:
    create_order(amount_cents=1000)  # the catalog is cached from here on
    limit = Limit.objects.get(channel__code="online", period=LimitPeriod.TRANSACTION)
    limit.max_amount_cents = 700
    limit.save()

    assert _refusal(create_order, amount_cents=1000) == "amount_above_limit"
    assert create_order(amount_cents=700).status == TopupStatus.AWAITING_PAYMENT


def test_a_disabled_channel_or_method_is_refused_at_once(create_order: CreateOrder) -> None:
    create_order(payment_method="bancontact")
    offer = ChannelPaymentMethod.objects.get(
        channel__code="online", payment_method__code="bancontact"
    )
    offer.enabled = False
    offer.save()
    assert _refusal(create_order, payment_method="bancontact") == "payment_method_unavailable"

    Channel.objects.filter(code="online").get().delete()
    assert _refusal(create_order) == "channel_unavailable"


def test_an_update_without_signals_counts_once_the_cache_is_cleared(
    create_order: CreateOrder,
) -> None:
    create_order(amount_cents=1000)
    Limit.objects.filter(channel__code="online", period=LimitPeriod.TRANSACTION).update(
        max_amount_cents=700
    )
    catalog_cache_clear()

    assert _refusal(create_order, amount_cents=1000) == "amount_above_limit"
