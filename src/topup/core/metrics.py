"""Prometheus metrics observed in-process. Counts read from the database live in the ops views."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PAYMENT_GATEWAY_SECONDS = Histogram(
    "topup_payment_gateway_seconds",
    "Latency of calls to a payment provider",
    ["provider", "operation", "outcome"],
)
TOPUP_TRANSITIONS = Counter(
    "topup_order_transitions_total",
    "Top-up order transitions made by this process",
    ["channel", "to_status"],
)
SMS_SENT = Counter("topup_sms_sent_total", "SMS handed to the gateway", ["gateway", "outcome"])
