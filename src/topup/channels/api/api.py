"""The REST API v1: one NinjaAPI, its routers, and the one error shape."""

from __future__ import annotations

from ninja import NinjaAPI

from topup.channels.api.errors import install_error_handlers
from topup.channels.api.routers import auth, kiosks, me, payments, ping, topups

API_PREFIX = "api/v1/"

api = NinjaAPI(
    title="Topup API",
    version="v1",
    description=(
        'Prepaid top-ups for identified SIMs. Amounts are strings in euros ("10.00"). '
        'Every error is `{"error": {"code", "message", "details"}}`, the message in the '
        "language of `Accept-Language` (nl, fr, de, en, zh-Hans)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/auth", auth.router)
api.add_router("/me", me.router)
api.add_router("/topups", topups.router)
api.add_router("/payments", payments.router)
api.add_router("/kiosks", kiosks.router)
api.add_router("/ping", ping.router)
