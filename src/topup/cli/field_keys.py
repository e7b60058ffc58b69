"""Key rotation of the personal data encrypted at rest: every encrypted column, in batches.

Rotating: put the new key first in TOPUP_FIELD_ENCRYPTION_KEYS (new values use it, old ones
still read with the keys after it), run `topup crypto rotate`, then drop the old key. The rows
keep their content: only the ciphertext changes (identification records are otherwise never
edited). The keyed lookup hashes depend on TOPUP_LOOKUP_HASH_KEY, not on these keys, and stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db import models, transaction

from topup.audit.services import Actor, audit_record
from topup.subscribers.crypto import encrypted_with_current_key, rotate_text
from topup.subscribers.models import IdentificationRecord
from topup.visits.models import ShopBooking

ROTATION_BATCH_MAX: Final = 1_000

# Every column holding an encrypted value; a test checks that no `*_encrypted` field is missing.
ENCRYPTED_FIELDS: Final[tuple[tuple[type[models.Model], tuple[str, ...]], ...]] = (
    (IdentificationRecord, ("document_number_encrypted", "national_register_number_encrypted")),
    (ShopBooking, ("msisdn_encrypted",)),
)


@dataclass(frozen=True)
class RotationCount:
    table: str
    rotated: int  # values re-encrypted with the first key
    current: int  # values already encrypted with it
    unreadable: int  # values no configured key can read (a key was dropped too early)


def field_encryption_rotate(*, actor: Actor, batch_size: int = 200) -> list[RotationCount]:
    """Re-encrypt every value not yet under the first key; safe to run again (0 rotated)."""
    assert 0 < batch_size <= ROTATION_BATCH_MAX
    return [
        _model_rotate(model=model, fields=fields, actor=actor, batch_size=batch_size)
        for model, fields in ENCRYPTED_FIELDS
    ]


def _model_rotate(
    *, model: type[models.Model], fields: tuple[str, ...], actor: Actor, batch_size: int
) -> RotationCount:
    rotated = current = unreadable = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                model._default_manager.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            for row in rows:
                row_rotated, row_current, row_unreadable = _row_rotate(row=row, fields=fields)
                rotated += row_rotated
                current += row_current
                unreadable += row_unreadable
        if len(rows) < batch_size:
            break
        last_pk = int(rows[-1].pk)
    table = model._meta.label_lower
    audit_record(
        actor=actor,
        action="crypto.rotated",
        object_type=table,
        object_id="*",
        data={"rotated": rotated, "current": current, "unreadable": unreadable},
    )
    return RotationCount(table=table, rotated=rotated, current=current, unreadable=unreadable)


def _row_rotate(*, row: models.Model, fields: tuple[str, ...]) -> tuple[int, int, int]:
    """(re-encrypted, already current, unreadable) values of one row."""
    rotated: list[str] = []
    current = unreadable = 0
    for field in fields:
        token = getattr(row, field)
        if not isinstance(token, str) or not token:
            continue  # nothing kept (no number, or erased after retention)
        if encrypted_with_current_key(token):
            current += 1
            continue
        try:
            setattr(row, field, rotate_text(token))
        except ValueError:
            unreadable += 1
            continue
        rotated.append(field)
    if rotated:
        row.save(update_fields=rotated)
    return len(rotated), current, unreadable
