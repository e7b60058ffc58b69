"""The top-up order's state machine, as pure data: which transitions are legal."""

from __future__ import annotations

from typing import Final

CREATED: Final = "created"
AWAITING_PAYMENT: Final = "awaiting_payment"
PAID: Final = "paid"
CREDITED: Final = "credited"
FAILED: Final = "failed"
EXPIRED: Final = "expired"
REFUNDED: Final = "refunded"

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    CREATED: frozenset({AWAITING_PAYMENT, FAILED, EXPIRED}),
    AWAITING_PAYMENT: frozenset({PAID, FAILED, EXPIRED}),
    PAID: frozenset({CREDITED, REFUNDED}),
    CREDITED: frozenset({REFUNDED}),
    FAILED: frozenset(),
    # A capture the provider reports after we expired the order is still the customer's money:
    # it is credited, never kept. This is the only way out of a final-looking state.
    EXPIRED: frozenset({PAID}),
    REFUNDED: frozenset(),
}
FINAL: Final = frozenset({FAILED, EXPIRED, REFUNDED})


class IllegalTransition(Exception):
    """A bug: code asked for a transition the state machine forbids."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"illegal top-up transition {from_status} → {to_status}")
        self.from_status = from_status
        self.to_status = to_status


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise IllegalTransition(from_status, to_status)
