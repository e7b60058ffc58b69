"""Behind a transaction-pooling PgBouncer, Django must not use server-side cursors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_SHOW = (
    "import topup.config.settings as s; "
    "print(s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"
)


def _disabled(extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOPUP_")}
    env.update(extra)
    done = subprocess.run(
        [sys.executable, "-c", _SHOW], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("pool_mode", "expected"), [(None, "False"), ("session", "False"), ("transaction", "True")]
)
def test_server_side_cursors_follow_the_pool_mode(pool_mode: str | None, expected: str) -> None:
    extra = {"DATABASE_URL": "postgres://topup:secret@db.internal:6432/topup"}
    if pool_mode is not None:
        extra["TOPUP_DATABASE_POOL_MODE"] = pool_mode
    assert _disabled(extra) == expected


def test_sqlite_ignores_the_pool_mode() -> None:
    extra = {"DATABASE_URL": "sqlite:///:memory:", "TOPUP_DATABASE_POOL_MODE": "transaction"}
    assert _disabled(extra) == "False"
