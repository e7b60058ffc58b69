"""The one writer of the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from topup.audit.models import AuditEvent
from topup.core import clock
from topup.core.errors import JsonValue
from topup.core.rawsql import model_insert


@dataclass(frozen=True)
class Actor:
    """Who did it, and from where: passed down from the channel to every service that audits."""

    actor_type: str
    actor_id: str = ""
    ip_address: str | None = None
    request_id: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(actor_type="system", actor_id=name)

    def label(self) -> str:
        return f"{self.actor_type}:{self.actor_id}" if self.actor_id else self.actor_type


def audit_request_id(actor: Actor) -> str:
    """The request this action belongs to: the actor's, else the one bound to the log context."""
    request_id = actor.request_id or str(
        structlog.contextvars.get_contextvars().get("request_id", "")
    )
    return request_id[:64]


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    reason: str = "",
    data: Mapping[str, JsonValue] | None = None,
) -> AuditEvent:
    event = audit_event_unsaved(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        data=data,
    )
    model_insert(event)  # every ledger transfer writes one: not the ORM's compiled INSERT
    return event


def audit_event_unsaved(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    reason: str = "",
    data: Mapping[str, JsonValue] | None = None,
) -> AuditEvent:
    """The event audit_record writes, not yet written: for a hot path that inserts it in one
    statement with the rows it audits (`topup.core.rawsql.models_insert_together`)."""
    return AuditEvent(
        at=clock.now(),
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason[:255],
        ip_address=actor.ip_address,
        request_id=audit_request_id(actor),
        data=dict(data or {}),
    )
