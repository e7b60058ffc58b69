"""The one clock: timezone-aware UTC now, replaceable in tests through settings-free injection."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)
