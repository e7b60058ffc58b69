"""The order state machine as data: reachable states, final states, illegal moves."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from topup.topups import state
from topup.topups.models import TopupStatus

ALL = sorted(state.TRANSITIONS)


def test_every_model_status_is_in_the_machine() -> None:
    assert set(ALL) == {s.value for s in TopupStatus}


def test_the_happy_path_is_legal() -> None:
    path = [state.CREATED, state.AWAITING_PAYMENT, state.PAID, state.CREDITED]
    for here, there in itertools.pairwise(path):
        state.check_transition(here, there)


@pytest.mark.parametrize(
    ("here", "there"),
    [
        (state.CREATED, state.CREDITED),
        (state.AWAITING_PAYMENT, state.CREDITED),
        (state.CREDITED, state.PAID),
        (state.FAILED, state.PAID),
        (state.REFUNDED, state.CREDITED),
        (state.CREDITED, state.CREDITED),
    ],
)
def test_illegal_transitions_raise(here: str, there: str) -> None:
    with pytest.raises(state.IllegalTransition):
        state.check_transition(here, there)


@given(st.lists(st.sampled_from(ALL), min_size=1, max_size=30))
def test_credited_is_entered_at_most_once_on_any_walk(steps: list[str]) -> None:
    """Whatever sequence of requested moves, a walk enters `credited` at most once."""
    current = state.CREATED
    credited_entries = 0
    for wanted in steps:
        try:
            state.check_transition(current, wanted)
        except state.IllegalTransition:
            continue
        current = wanted
        credited_entries += current == state.CREDITED
    assert credited_entries <= 1


def test_credit_only_follows_payment() -> None:
    sources = [s for s, targets in state.TRANSITIONS.items() if state.CREDITED in targets]
    assert sources == [state.PAID]
