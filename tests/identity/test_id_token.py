"""The id_token: what was signed with the client secret, for us, for this nonce, still valid."""

from __future__ import annotations

import base64
import json

import pytest

from topup.identity.id_token import InvalidIdToken, id_token_sign, id_token_verify

SECRET = "client-secret"
NOW = 1_800_000_000
CLAIMS: dict[str, str | int] = {
    "iss": "http://localhost/idp",
    "aud": "topup-selfcare",
    "sub": "sim-jan",
    "nonce": "n-123",
    "iat": NOW,
    "exp": NOW + 300,
    "given_name": "Jan",
}


def _verify(token: str, **overrides: str | int) -> dict[str, str | int]:
    arguments: dict[str, str | int] = {
        "secret": SECRET,
        "issuer": "http://localhost/idp",
        "audience": "topup-selfcare",
        "nonce": "n-123",
        "now_unix": NOW + 10,
    }
    arguments.update(overrides)
    return id_token_verify(
        token=token,
        secret=str(arguments["secret"]),
        issuer=str(arguments["issuer"]),
        audience=str(arguments["audience"]),
        nonce=str(arguments["nonce"]),
        now_unix=int(arguments["now_unix"]),
    )


def _segment(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_signed_for_us_gives_its_claims() -> None:
    claims = _verify(id_token_sign(claims=CLAIMS, secret=SECRET))
    assert claims["sub"] == "sim-jan"
    assert claims["given_name"] == "Jan"


def test_a_changed_claim_breaks_the_signature() -> None:
    header, _payload, signature = id_token_sign(claims=CLAIMS, secret=SECRET).split(".")
    forged = f"{header}.{_segment({**CLAIMS, 'given_name': 'Marie'})}.{signature}"
    with pytest.raises(InvalidIdToken) as refused:
        _verify(forged)
    assert refused.value.reason == "signature"


def test_a_changed_signature_is_refused() -> None:
    token = id_token_sign(claims=CLAIMS, secret=SECRET)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidIdToken):
        _verify(flipped)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidIdToken) as refused:
        _verify(id_token_sign(claims=CLAIMS, secret="someone-else"))
    assert refused.value.reason == "signature"


def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(CLAIMS)}."
    with pytest.raises(InvalidIdToken) as refused:
        _verify(token)
    assert refused.value.reason == "algorithm"


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"audience": "another-client"}, "audience"),
        ({"issuer": "https://evil.example"}, "issuer"),
        ({"nonce": "n-other"}, "nonce"),
        ({"nonce": ""}, "nonce"),
        ({"now_unix": NOW + 300}, "expired"),
        ({"now_unix": NOW - 3600}, "issued_in_future"),
    ],
)
def test_claims_that_do_not_fit_are_refused(override: dict[str, str | int], reason: str) -> None:
    with pytest.raises(InvalidIdToken) as refused:
        _verify(id_token_sign(claims=CLAIMS, secret=SECRET), **override)
    assert refused.value.reason == reason


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!!.???.###", "x" * 9000])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidIdToken):
        _verify(token)
