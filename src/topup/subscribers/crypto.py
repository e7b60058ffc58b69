"""Encryption at rest for personal document numbers, and keyed hashes for lookups."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.TOPUP_FIELD_ENCRYPTION_KEYS])


def encrypt_text(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("encrypted value cannot be read with the configured keys") from error


def encrypted_with_current_key(token: str) -> bool:
    """Readable with the first configured key (the one new values are encrypted with)."""
    current = Fernet(settings.TOPUP_FIELD_ENCRYPTION_KEYS[0].encode())
    try:
        current.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate_text(token: str) -> str:
    """The same plaintext, encrypted again with the first key (read with any configured key)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("encrypted value cannot be read with the configured keys") from error


def lookup_hash(value: str) -> str:
    """A keyed hash: equal inputs match, but the table alone reveals nothing.

    Keyed with TOPUP_LOOKUP_HASH_KEY (not SECRET_KEY: rotating that must not orphan the hashes).
    """
    key = hashlib.sha256(("lookup:" + settings.TOPUP_LOOKUP_HASH_KEY).encode()).digest()
    return hmac.new(key, value.upper().encode(), hashlib.sha256).hexdigest()


def mask_document_number(number: str) -> str:
    """Show only the last three characters: `591191706458` → `*********458`."""
    visible = 3 if len(number) > 4 else 1
    return "*" * (len(number) - visible) + number[-visible:]


def mask_name(first_name: str, last_name: str) -> str:
    """`Jan Peeters` → `J** P******`: enough to recognise, not to read."""
    parts = [p for p in (first_name.strip(), last_name.strip()) if p]
    return " ".join(p[0] + "*" * (len(p) - 1) for p in parts)
