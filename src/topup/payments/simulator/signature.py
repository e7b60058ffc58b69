"""The simulator's webhook signature: `Topup-Signature: t=<unix>,v1=<hex HMAC-SHA256>`."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from topup.payments.gateway import WebhookRejected

SIGNATURE_HEADER: Final = "Topup-Signature"
TOLERANCE_S: Final = 300
MAX_HEADER_LENGTH: Final = 1024
_TIMESTAMP_RE: Final = re.compile(r"\d{1,12}")
_SIGNATURE_RE: Final = re.compile(r"[0-9a-f]{64}")


def signature_compute(*, secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.` followed by the raw body."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header_build(*, secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={signature_compute(secret=secret, body=body, timestamp=timestamp)}"


def _header_parse(header: str) -> tuple[int, list[str]]:
    """Split `t=...,v1=...[,v1=...]`; several v1 values let a secret be rotated."""
    if len(header) > MAX_HEADER_LENGTH:
        raise WebhookRejected("malformed_signature")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, separator, value = part.strip().partition("=")
        if separator and key == "t":
            timestamps.append(value)
        elif separator and key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not _TIMESTAMP_RE.fullmatch(timestamps[0]) or not signatures:
        raise WebhookRejected("malformed_signature")
    if not all(_SIGNATURE_RE.fullmatch(signature) for signature in signatures):
        raise WebhookRejected("malformed_signature")
    return int(timestamps[0]), signatures


def signature_verify(
    *, secret: str, body: bytes, header: str | None, now_unix: int, tolerance_s: int = TOLERANCE_S
) -> None:
    """Raise WebhookRejected unless the header signs this body, within the tolerance both ways."""
    if not header:
        raise WebhookRejected("missing_signature")
    timestamp, signatures = _header_parse(header)
    # Checked before the MAC so a replayed old message is refused even with a valid signature.
    if abs(now_unix - timestamp) > tolerance_s:
        raise WebhookRejected("timestamp_outside_tolerance")
    expected = signature_compute(secret=secret, body=body, timestamp=timestamp)
    # Compare every candidate (no early exit) so timing does not reveal which one matched.
    matches = [hmac.compare_digest(expected, signature) for signature in signatures]
    if not any(matches):
        raise WebhookRejected("signature_mismatch")
