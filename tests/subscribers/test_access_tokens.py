"""API bearer tokens: stored hashed, expire, and stop working once revoked."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import override_settings

from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.subscribers.errors import InvalidAccessToken
from topup.subscribers.models import AccessToken, Sim, SimStatus
from topup.subscribers.services import (
    access_token_authenticate,
    access_token_issue,
    access_token_revoke,
    sim_status_change,
)

pytestmark = pytest.mark.django_db


def test_an_issued_token_authenticates_its_line_and_is_stored_only_hashed(
    sim: Sim, system_actor: Actor
) -> None:
    token = access_token_issue(sim=sim, actor=system_actor)
    assert len(token) >= 43
    assert access_token_authenticate(token=token).pk == sim.pk
    stored = AccessToken.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(AccessToken.objects.values()))
    assert token not in str(list(AuditEvent.objects.values()))


def test_unknown_or_oversized_tokens_are_refused(sim: Sim) -> None:
    for token in ("", "not-a-token", "x" * 10_000):
        with pytest.raises(InvalidAccessToken) as raised:
            access_token_authenticate(token=token)
        assert (raised.value.code, raised.value.http_status) == ("authentication_required", 401)


@override_settings(TOPUP_ACCESS_TOKEN_TTL_S=60)
def test_a_token_expires_after_its_time_to_live(sim: Sim, system_actor: Actor) -> None:
    token = access_token_issue(sim=sim, actor=system_actor)
    stored = AccessToken.objects.get()
    assert stored.expires_at - stored.created_at == dt.timedelta(seconds=60)
    AccessToken.objects.update(expires_at=stored.created_at - dt.timedelta(seconds=1))
    with pytest.raises(InvalidAccessToken):
        access_token_authenticate(token=token)


def test_a_revoked_token_stops_working_and_revoking_again_is_harmless(
    sim: Sim, system_actor: Actor
) -> None:
    token = access_token_issue(sim=sim, actor=system_actor)
    other = access_token_issue(sim=sim, actor=system_actor)
    access_token_revoke(token=token)
    access_token_revoke(token=token)
    with pytest.raises(InvalidAccessToken):
        access_token_authenticate(token=token)
    assert access_token_authenticate(token=other).pk == sim.pk
    assert AuditEvent.objects.filter(action="auth.access_token_revoked").count() == 1


def test_terminating_a_line_revokes_its_tokens(sim: Sim, system_actor: Actor) -> None:
    token = access_token_issue(sim=sim, actor=system_actor)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ported", actor=system_actor)
    with pytest.raises(InvalidAccessToken):
        access_token_authenticate(token=token)
