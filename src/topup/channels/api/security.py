"""Who is calling: a subscriber with a Bearer token, or (where allowed) an anonymous caller."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from ninja.security import HttpBearer

from topup.audit.services import Actor
from topup.channels.api.errors import request_id
from topup.core.errors import AuthenticationRequired
from topup.subscribers.models import Sim
from topup.subscribers.services import access_token_authenticate


@dataclass(frozen=True)
class Caller:
    """The authenticated line, or None for an anonymous caller. Always truthy for ninja."""

    sim: Sim | None

    def __bool__(self) -> bool:
        return True


class SubscriberBearer(HttpBearer):
    """`Authorization: Bearer <token>`; a missing header answers 401 authentication_required."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        if not token:
            return None
        # Raises the subscribers' 401 ApplicationError for an unknown, expired or revoked token.
        return Caller(sim=access_token_authenticate(token=token))


class OptionalSubscriberBearer(SubscriberBearer):
    """Anonymous when no Authorization header is sent; a bad token is still refused (401)."""

    def __call__(self, request: HttpRequest) -> Caller | None:
        if not request.headers.get(self.header):
            return Caller(sim=None)
        result = super().__call__(request)
        return result if isinstance(result, Caller) else None


subscriber_auth = SubscriberBearer()
optional_subscriber_auth = OptionalSubscriberBearer()


def request_caller(request: HttpRequest) -> Caller:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):
        raise AuthenticationRequired()
    return caller


def request_sim(request: HttpRequest) -> Sim:
    sim = request_caller(request).sim
    if sim is None:
        raise AuthenticationRequired()
    return sim


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind a reverse proxy, the proxy must set it (trusted-proxy config).
    value = request.META.get("REMOTE_ADDR")
    return value if isinstance(value, str) and value else None


def request_actor(request: HttpRequest, caller: Caller) -> Actor:
    if caller.sim is None:
        return Actor(
            actor_type="anonymous", ip_address=client_ip(request), request_id=request_id(request)
        )
    return Actor(
        actor_type="subscriber",
        actor_id=str(caller.sim.pk),
        ip_address=client_ip(request),
        request_id=request_id(request),
    )
