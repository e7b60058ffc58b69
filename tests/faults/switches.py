"""The switches of tests/faults/entry.py: files in TOPUP_FAULTS_DIR the test writes and the
fault-injecting processes read on every call."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

TROUBLE_FILE: Final = "provider-trouble.json"
SMS_DOWN_FILE: Final = "sms-down"
SMS_GATEWAY_NAME: Final = "flaky-outbox"
TIMEOUT_S: Final = 2.0  # the platform's client gives up after this long (kept short for tests)


def faults_dir() -> Path:
    return Path(os.environ.get("TOPUP_FAULTS_DIR", "."))


def trouble_set(directory: Path, **operations: str) -> None:
    """Switch the provider's trouble (create/get/refund → error|timeout|lost); none: all clear."""
    (directory / TROUBLE_FILE).write_text(json.dumps(operations))


def sms_down(directory: Path, *, down: bool) -> None:
    path = directory / SMS_DOWN_FILE
    if down:
        path.touch()
    else:
        path.unlink(missing_ok=True)


def trouble_of(operation: str) -> str:
    try:
        switches = json.loads((faults_dir() / TROUBLE_FILE).read_text())
    except (OSError, ValueError):
        return ""
    value = switches.get(operation, "") if isinstance(switches, dict) else ""
    return value if isinstance(value, str) else ""
