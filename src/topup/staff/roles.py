"""Back-office roles and what each may do: one table, read by every screen and service.

A role is a Django group of the same name; a superuser (the operator's administrator) holds
every permission. The table is the contract the authorization-matrix test checks.
"""

from __future__ import annotations

import enum
from typing import Final

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

from topup.core.errors import PermissionDenied


class BackofficeRole(enum.StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    COMPLIANCE = "compliance"
    FINANCE = "finance"
    OPERATIONS = "operations"


class Permission(enum.StrEnum):
    CUSTOMER_VIEW = "customer.view"  # the one-screen view of a customer (personal data)
    CUSTOMER_CORRECT = "customer.correct"  # request re-identification, record a verified change
    RECEIPT_RESEND = "receipt.resend"
    DISPUTE_VIEW = "dispute.view"
    DISPUTE_RESOLVE = "dispute.resolve"  # propose/execute refund, goodwill credit or rejection
    DISPUTE_APPROVE = "dispute.approve"  # the second pair of eyes above the threshold
    COMPLIANCE_VIEW = "compliance.view"
    COMPLIANCE_DECIDE = "compliance.decide"
    RETENTION_RUN = "retention.run"
    FINANCE_VIEW = "finance.view"
    FINANCE_IMPORT = "finance.import"
    FINANCE_RESOLVE = "finance.resolve"  # a reasoned transfer for a reconciliation difference
    DASHBOARD_VIEW = "dashboard.view"


_CS = BackofficeRole.CUSTOMER_SERVICE
_COMPLIANCE = BackofficeRole.COMPLIANCE
_FINANCE = BackofficeRole.FINANCE
_OPERATIONS = BackofficeRole.OPERATIONS

GRANTS: Final[dict[Permission, frozenset[BackofficeRole]]] = {
    Permission.CUSTOMER_VIEW: frozenset({_CS, _COMPLIANCE}),
    Permission.CUSTOMER_CORRECT: frozenset({_CS}),
    Permission.RECEIPT_RESEND: frozenset({_CS}),
    Permission.DISPUTE_VIEW: frozenset({_CS, _FINANCE}),
    Permission.DISPUTE_RESOLVE: frozenset({_CS}),
    Permission.DISPUTE_APPROVE: frozenset({_CS, _FINANCE}),
    Permission.COMPLIANCE_VIEW: frozenset({_COMPLIANCE}),
    Permission.COMPLIANCE_DECIDE: frozenset({_COMPLIANCE}),
    Permission.RETENTION_RUN: frozenset({_COMPLIANCE}),
    Permission.FINANCE_VIEW: frozenset({_FINANCE}),
    Permission.FINANCE_IMPORT: frozenset({_FINANCE}),
    Permission.FINANCE_RESOLVE: frozenset({_FINANCE}),
    Permission.DASHBOARD_VIEW: frozenset({_CS, _COMPLIANCE, _FINANCE, _OPERATIONS}),
}


def staff_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[BackofficeRole]:
    """The back-office roles a user holds (through groups named after them)."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return frozenset()
    names = set(user.groups.values_list("name", flat=True))
    return frozenset(role for role in BackofficeRole if role.value in names)


def staff_may(user: AbstractBaseUser | AnonymousUser, permission: Permission) -> bool:
    if isinstance(user, User) and user.is_active and user.is_superuser:
        return True
    return bool(staff_roles(user) & GRANTS[permission])


def staff_is_backoffice(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May open the back office at all: holds a back-office role, or is the administrator."""
    if isinstance(user, User) and user.is_active and user.is_superuser:
        return True
    return bool(staff_roles(user))


def staff_require(user: AbstractBaseUser | AnonymousUser, permission: Permission) -> None:
    if not staff_may(user, permission):
        raise PermissionDenied()
