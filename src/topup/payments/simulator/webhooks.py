"""How the simulator sends a webhook: the event body, the signed HTTP POST, the retry schedule."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Final
from urllib.parse import urlsplit

from django.conf import settings

from topup.core import clock
from topup.core.errors import JsonValue
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_header_build

EVENT_TYPE: Final = "payment.updated"
MAX_ATTEMPTS: Final = 8
DEFAULT_RETRY_BASE_S: Final = 5.0
MAX_RETRY_DELAY_S: Final = 3600.0
TIMEOUT_S: Final = 10.0
MAX_ERROR_CHARS: Final = 255


def webhook_event_body(payload: dict[str, JsonValue]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_retry_delay_s(*, attempts: int) -> float:
    """Exponential backoff after `attempts` failures (1-based), capped at an hour."""
    base_s = float(getattr(settings, "TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S", DEFAULT_RETRY_BASE_S))
    return float(min(base_s * 2 ** (attempts - 1), MAX_RETRY_DELAY_S))


def webhook_post(*, url: str, body: bytes) -> str:
    """POST the signed body; the empty string on a 2xx answer, else what went wrong."""
    if urlsplit(url).scheme not in ("http", "https"):
        return f"refused scheme in {url[:100]}"
    header = signature_header_build(
        secret=settings.TOPUP_SIMULATOR_WEBHOOK_SECRET,
        body=body,
        timestamp=int(clock.now().timestamp()),
    )
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    return "" if 200 <= status < 300 else f"HTTP {status}"
