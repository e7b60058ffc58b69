"""Staff memberships, shop accounts and the demo setup."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User

from tests.shops.conftest import books_balance
from topup.catalog.models import Shop
from topup.ledger.models import AccountKind
from topup.shops.errors import StaffNotAssigned
from topup.shops.models import ShopAccounts, StaffMembership, StaffRole
from topup.shops.selectors import shop_balance_cents
from topup.shops.services import shop_accounts_open, shop_demo_setup, staff_membership_get

pytestmark = pytest.mark.django_db


def test_the_demo_staff_work_at_their_shops(demo: None) -> None:
    roles = {
        m.user.username: (m.shop.code, m.role)
        for m in StaffMembership.objects.select_related("user", "shop")
    }
    assert roles == {
        "agent.brussels": ("bru-central", StaffRole.SHOP_AGENT),
        "manager.brussels": ("bru-central", StaffRole.SHOP_MANAGER),
        "partner.antwerp": ("antwerp-night", StaffRole.PARTNER_RETAILER),
    }
    assert User.objects.get(username="manager.brussels").check_password("demo-manager-2026")
    assert User.objects.get(username="partner.antwerp").check_password("demo-partner-2026")


def test_the_demo_setup_can_run_again_and_posts_the_float_once(demo: None) -> None:
    shop_demo_setup()
    partner = Shop.objects.get(code="antwerp-night")
    assert shop_balance_cents(shop=partner) == 50_000
    assert StaffMembership.objects.count() == 3
    books_balance()


def test_an_operator_shop_has_a_drawer_and_a_partner_a_float(demo: None) -> None:
    operator = shop_accounts_open(shop=Shop.objects.get(code="bru-central"))
    partner = shop_accounts_open(shop=Shop.objects.get(code="antwerp-night"))
    assert operator.cash_drawer is not None and operator.float_account is None
    assert operator.cash_drawer.kind == AccountKind.SHOP_CASH_DRAWER
    assert operator.cash_drawer.account_type == "asset"
    assert partner.float_account is not None and partner.cash_drawer is None
    assert partner.float_account.account_type == "liability"
    assert not partner.float_account.may_go_negative
    assert partner.commission_basis_points == 300
    assert shop_accounts_open(shop=partner.shop).pk == partner.pk
    assert ShopAccounts.objects.count() == 2


def test_a_user_without_an_active_membership_is_refused(demo: None) -> None:
    with pytest.raises(StaffNotAssigned):
        staff_membership_get(user=User.objects.get(username="cs.demo"))
    with pytest.raises(StaffNotAssigned):
        staff_membership_get(user=AnonymousUser())
    StaffMembership.objects.filter(user__username="agent.brussels").update(active=False)
    with pytest.raises(StaffNotAssigned) as caught:
        staff_membership_get(user=User.objects.get(username="agent.brussels"))
    assert caught.value.http_status == 403
