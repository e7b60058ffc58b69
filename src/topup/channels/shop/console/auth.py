"""Who may open a console page: a logged-in staff user, verified by a second factor when
required, with an active membership of a shop. Each console view gets that membership.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from topup.audit.services import Actor
from topup.channels.shop.console.context import console_render
from topup.core.errors import ApplicationError
from topup.shops.models import StaffMembership
from topup.shops.services import staff_membership_get
from topup.staff.two_factor import two_factor_required, two_factor_verified

P = ParamSpec("P")
StaffView = Callable[Concatenate[HttpRequest, StaffMembership, P], HttpResponse]
PlainView = Callable[Concatenate[HttpRequest, P], HttpResponse]


def staff_user(request: HttpRequest) -> User | None:
    """The logged-in user (password checked), whatever the second factor."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def staff_login_complete(request: HttpRequest) -> bool:
    """Password checked, and the second factor too when it is required."""
    return staff_user(request) is not None and (
        not two_factor_required() or two_factor_verified(request)
    )


def staff_actor(request: HttpRequest) -> Actor:
    address = request.META.get("REMOTE_ADDR")
    return Actor(
        actor_type="staff",
        actor_id=str(request.user.pk or ""),
        ip_address=address if isinstance(address, str) and address else None,
    )


def staff_required(view: StaffView[P]) -> PlainView[P]:
    """Anonymous → the login page; no second factor yet → the code page; no membership → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        user = staff_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path(), login_url=reverse("shop:login"))
        if two_factor_required() and not two_factor_verified(request):
            return redirect("shop:login-verify")
        try:
            membership = staff_membership_get(user=user)
        except ApplicationError as error:
            return console_render(
                request, "shop/error.html", {"error": error}, status=error.http_status
            )
        return view(request, membership, *args, **kwargs)

    return wrapper
