"""The one writer of the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from django.db import connection

from topup.audit.models import AuditEvent
from topup.core import clock
from topup.core.errors import JsonValue


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
    request_id = audit_request_id(actor)
    event = AuditEvent(
        at=clock.now(),
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason[:255],
        ip_address=actor.ip_address,
        request_id=request_id,
        data=dict(data or {}),
    )
    _insert(event)
    return event


_COLUMNS = (
    "at",
    "actor_type",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "reason",
    "ip_address",
    "request_id",
    "data",
)


def _insert(event: AuditEvent) -> None:
    """One INSERT without the ORM's per-save machinery: every ledger transfer writes one."""
    by_name = {field.name: field for field in AuditEvent._meta.concrete_fields}
    values = [
        by_name[name].get_db_prep_save(getattr(event, by_name[name].attname), connection)
        for name in _COLUMNS
    ]
    sql = (
        f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    assert row is not None
    event.pk = row[0]
