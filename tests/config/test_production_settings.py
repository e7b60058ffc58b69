"""Production settings refuse to start with DEBUG or any demo secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

_LOAD_SETTINGS = "import topup.config.settings as s; print('started', s.DEBUG)"

_REAL_SECRETS = {
    "TOPUP_SECRET_KEY": "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop",
    "TOPUP_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "TOPUP_SIMULATOR_WEBHOOK_SECRET": "whsec_real_for_this_test",
    "TOPUP_IDP_CLIENT_SECRET": "idp_real_for_this_test",
    "TOPUP_LOOKUP_HASH_KEY": "a-real-lookup-key-for-this-test-only-0123456789",
    "TOPUP_ALLOWED_HOSTS": "topup.example.org",
}


def _start(extra: dict[str, str], drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOPUP_") and k not in drop}
    env.update({"TOPUP_ENV": "production", **extra})
    return subprocess.run(
        [sys.executable, "-c", _LOAD_SETTINGS], env=env, capture_output=True, text=True, check=False
    )


def test_production_starts_with_real_secrets() -> None:
    result = _start(_REAL_SECRETS)
    assert result.returncode == 0, result.stderr
    assert "started False" in result.stdout


@pytest.mark.parametrize("demo_value", sorted(set(_REAL_SECRETS) - {"TOPUP_ALLOWED_HOSTS"}))
def test_production_refuses_each_demo_secret(demo_value: str) -> None:
    secrets = {k: v for k, v in _REAL_SECRETS.items() if k != demo_value}
    result = _start(secrets)
    assert result.returncode != 0
    assert demo_value in result.stderr


def test_production_refuses_debug() -> None:
    result = _start({**_REAL_SECRETS, "TOPUP_DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_refuses_any_host() -> None:
    result = _start({**_REAL_SECRETS, "TOPUP_ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "TOPUP_ALLOWED_HOSTS" in result.stderr
