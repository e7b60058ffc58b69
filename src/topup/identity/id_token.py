"""A compact id_token (JWS, HS256: HMAC-SHA256 keyed with the client secret): sign and verify.

Pure: no Django. Every claim the platform relies on is checked here, never trusted from the wire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 8192
CLOCK_SKEW_S = 30

Claims = Mapping[str, str | int]


class InvalidIdToken(Exception):
    """The id_token must not be believed; `reason` says which check failed (for logs, not users)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise InvalidIdToken("malformed") from error


def _mac(*, secret: str, signing_input: str) -> str:
    digest = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def id_token_sign(*, claims: Claims, secret: str) -> str:
    header = _b64encode(json.dumps({"alg": ALGORITHM, "typ": "JWT"}).encode())
    payload = _b64encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_mac(secret=secret, signing_input=signing_input)}"


def _json_object(segment: str) -> dict[str, object]:
    try:
        value = json.loads(_b64decode(segment))
    except ValueError as error:
        raise InvalidIdToken("malformed") from error
    if not isinstance(value, dict):
        raise InvalidIdToken("malformed")
    return value


def _signed_claims(*, token: str, secret: str) -> dict[str, object]:
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise InvalidIdToken("malformed")
    header_segment, payload_segment, signature = token.split(".")
    if _json_object(header_segment).get("alg") != ALGORITHM:
        raise InvalidIdToken("algorithm")  # refuses "none" and anything we did not agree on
    expected = _mac(secret=secret, signing_input=f"{header_segment}.{payload_segment}")
    if not hmac.compare_digest(expected, signature):
        raise InvalidIdToken("signature")
    return _json_object(payload_segment)


def _int_claim(claims: Mapping[str, object], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidIdToken(name)
    return value


def id_token_verify(
    *, token: str, secret: str, issuer: str, audience: str, nonce: str, now_unix: int
) -> dict[str, str | int]:
    """The claims of a token signed with `secret`, for this audience and nonce, and not expired."""
    claims = _signed_claims(token=token, secret=secret)
    if claims.get("iss") != issuer:
        raise InvalidIdToken("issuer")
    if claims.get("aud") != audience:
        raise InvalidIdToken("audience")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise InvalidIdToken("nonce")
    if _int_claim(claims, "exp") <= now_unix:
        raise InvalidIdToken("expired")
    if _int_claim(claims, "iat") > now_unix + CLOCK_SKEW_S:
        raise InvalidIdToken("issued_in_future")
    return {
        key: value
        for key, value in claims.items()
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    }
