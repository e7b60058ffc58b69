"""Who may open a back-office page: a logged-in staff user with a back-office role, verified by a
second factor when required, holding the permission the page asks for (topup.staff.roles).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from topup.audit.services import Actor
from topup.channels.backoffice.context import backoffice_error
from topup.core.errors import PermissionDenied
from topup.staff.roles import Permission, staff_is_backoffice, staff_may
from topup.staff.two_factor import two_factor_required, two_factor_verified

P = ParamSpec("P")
View = Callable[P, HttpResponse]

# Each guarded view and the permission it asks for: the authorization-matrix test reads it to
# check that every back-office route is guarded and listed in its table.
VIEW_PERMISSIONS: dict[Callable[..., HttpResponse], Permission] = {}


def backoffice_user(request: HttpRequest) -> User | None:
    """The logged-in user whose login is complete (second factor too, where required)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return None
    if two_factor_required() and not two_factor_verified(request):
        return None
    return user


def backoffice_actor(request: HttpRequest) -> Actor:
    address = request.META.get("REMOTE_ADDR")
    return Actor(
        actor_type="staff",
        actor_id=str(request.user.pk or ""),
        ip_address=address if isinstance(address, str) and address else None,
    )


def backoffice_view(permission: Permission) -> Callable[[View[P]], View[P]]:
    """Anonymous (or no second factor) → the login page; no role or permission → 403."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            request = args[0]
            assert isinstance(request, HttpRequest)
            user = backoffice_user(request)
            if user is None:
                login = redirect_to_login(
                    request.get_full_path(), login_url=reverse("backoffice:login")
                )
                # A fragment refresh (htmx) must not swap the login page into a panel.
                if request.headers.get("HX-Request") == "true":
                    return HttpResponseClientRedirect(login["Location"])
                return login
            if not staff_is_backoffice(user) or not staff_may(user, permission):
                return backoffice_error(request, PermissionDenied())
            return view(*args, **kwargs)

        VIEW_PERMISSIONS[wrapper] = permission
        return wrapper

    return decorate
