"""Database sessions whose table holds a digest of each session key, never the key itself.

The session key is the cookie: whoever reads it from a copy of the database (a backup, a replica,
a support dump) could sign in as every logged-in customer and member of staff. Django's database
backend stores the key as the row's primary key; this one stores BLAKE2b-160 of it instead (40
hex characters, the width of Django's own column, so the table and its migrations are Django's).
The key is 32 random characters from a 36-letter alphabet (about 165 bits): a plain digest cannot
be reversed, and needs no secret that would log everyone out when rotated.

Only the lookups change: the session data, its signature and its expiry are Django's. Sessions
stored before this backend was configured are not found, so their holders sign in again once.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

STORED_KEY_BYTES = 20  # 40 hex characters: django_session.session_key is varchar(40)


def session_key_stored(session_key: str) -> str:
    """What the table keeps for a session key (also usable wherever a session must be named)."""
    return hashlib.blake2b(session_key.encode(), digest_size=STORED_KEY_BYTES).hexdigest()


class SessionStore(db.SessionStore):
    """`SESSION_ENGINE = "topup.core.sessions"`: Django's database sessions, keys digested."""

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            return self.model.objects.get(
                session_key=session_key_stored(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):
                logger = logging.getLogger(f"django.security.{type(error).__name__}")
                logger.warning(str(error))
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            return await self.model.objects.aget(
                session_key=session_key_stored(self.session_key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=session_key_stored(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(
            await self.model.objects.filter(session_key=session_key_stored(session_key)).aexists()
        )

    def create_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        row = super().create_model_instance(data)
        row.session_key = session_key_stored(row.session_key)
        return row

    async def acreate_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        row = await super().acreate_model_instance(data)
        row.session_key = session_key_stored(row.session_key)
        return row

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        self.model.objects.filter(session_key=session_key_stored(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        await self.model.objects.filter(session_key=session_key_stored(key)).adelete()
