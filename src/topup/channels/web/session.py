"""Who is logged in on the website: the line proven by a one-time code, kept in the session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from topup.audit.services import Actor
from topup.subscribers.models import Sim

_SESSION_SIM = "topup_sim_id"
_SESSION_NEXT = "topup_after_login"
_REQUEST_SIM = "TOPUP_WEB_SIM"  # the request's memo of the line read for the session


@dataclass(frozen=True)
class _RememberedSim:
    sim_id: int
    sim: Sim | None


P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)


def web_login(request: HttpRequest, *, sim: Sim) -> None:
    """Start a fresh session for this line (a new session key defeats session fixation)."""
    request.session.cycle_key()
    request.session[_SESSION_SIM] = sim.pk


def web_after_login_path(request: HttpRequest) -> str | None:
    """The local page the visitor wanted before logging in (taken once), or None."""
    path = request.session.pop(_SESSION_NEXT, None)
    if not isinstance(path, str) or not url_has_allowed_host_and_scheme(
        path, allowed_hosts=None, require_https=False
    ):
        return None
    return path if path.startswith("/") and not path.startswith("//") else None


def web_logout(request: HttpRequest) -> None:
    request.session.flush()


def web_current_sim(request: HttpRequest) -> Sim | None:
    """The logged-in line, read once per request (the language middleware, the view and the
    template context all ask); read again if a login or logout changed it meanwhile."""
    sim_id = request.session.get(_SESSION_SIM)
    if not isinstance(sim_id, int):
        return None
    remembered = request.META.get(_REQUEST_SIM)
    if isinstance(remembered, _RememberedSim) and remembered.sim_id == sim_id:
        return remembered.sim
    sim = Sim.objects.select_related("subscriber", "brand", "plan").filter(pk=sim_id).first()
    request.META[_REQUEST_SIM] = _RememberedSim(sim_id=sim_id, sim=sim)
    return sim


def web_actor(request: HttpRequest, sim: Sim | None = None) -> Actor:
    """The audit actor of a web request: the logged-in line, else an anonymous visitor."""
    return Actor(
        actor_type="subscriber" if sim else "visitor",
        actor_id=str(sim.pk) if sim else "",
        ip_address=request.META.get("REMOTE_ADDR"),
        request_id=str(request.META.get("TOPUP_REQUEST_ID", "")),
    )


def login_required_sim(view: Callable[..., R]) -> Callable[..., HttpResponse]:
    """Views that need a logged-in line get it as `sim`; others are sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        sim = web_current_sim(request)
        if sim is None:
            if request.method == "GET":
                # Back here after the login (e.g. the phone that scanned a kiosk's QR code).
                request.session[_SESSION_NEXT] = request.get_full_path()
            return redirect("web:login")
        return view(request, *args, sim=sim, **kwargs)

    return wrapper
