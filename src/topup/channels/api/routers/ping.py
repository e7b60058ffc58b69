"""`GET /api/v1/ping`: the API's trivial endpoint, the framework's ceiling in the HTTP benchmark."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from topup.channels.api.schemas import PingOut

router = Router(tags=["ops"])


@router.get(
    "",
    response={200: PingOut},
    summary="Is the API answering? Touches no database",
    description=(
        'Always `{"ok": true}` while the process serves requests; reads no database and needs '
        "no token. For readiness (database, worker) see `/readyz`."
    ),
)
def ping(request: HttpRequest) -> PingOut:
    return PingOut(ok=True)
