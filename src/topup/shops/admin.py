"""Admin of the shop counter: memberships are assigned here (audited); the rest is read-only."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from topup.audit.services import Actor, audit_record
from topup.shops.models import CounterSale, CounterVoid, ShopAccounts, StaffMembership, TillClose

_M = TypeVar("_M", bound=Model)


class _ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Money and its records are written by the services only; staff look, they do not edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin[StaffMembership]):
    list_display = ("user", "shop", "role", "active")
    list_filter = ("shop", "role", "active")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

    def has_delete_permission(
        self, request: HttpRequest, obj: StaffMembership | None = None
    ) -> bool:
        return False  # deactivate instead: the audit trail keeps pointing at the user

    def save_model(
        self,
        request: HttpRequest,
        obj: StaffMembership,
        form: ModelForm[StaffMembership],
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=Actor(actor_type="staff", actor_id=str(request.user.pk)),
            action="shops.membership_changed" if change else "shops.membership_created",
            object_type="shops.staff_membership",
            object_id=obj.pk,
            data={
                "user_id": obj.user_id,
                "shop_id": obj.shop_id,
                "role": obj.role,
                "active": obj.active,
            },
        )


@admin.register(ShopAccounts)
class ShopAccountsAdmin(_ReadOnlyAdmin[ShopAccounts]):
    list_display = ("shop", "cash_drawer", "float_account", "commission_basis_points")


@admin.register(CounterSale)
class CounterSaleAdmin(_ReadOnlyAdmin[CounterSale]):
    list_display = ("order", "shop", "agent", "payment_method", "amount_cents", "sold_at")
    list_filter = ("shop", "payment_method")
    exclude = ("terminal_token",)


@admin.register(CounterVoid)
class CounterVoidAdmin(_ReadOnlyAdmin[CounterVoid]):
    list_display = ("order", "shop", "status", "requested_by", "requested_at", "approved_by")
    list_filter = ("shop", "status")


@admin.register(TillClose)
class TillCloseAdmin(_ReadOnlyAdmin[TillClose]):
    list_display = ("z_report_number", "shop", "agent", "closed_at", "difference_cents")
    list_filter = ("shop",)
