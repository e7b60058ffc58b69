"""The Belgian structured payment reference (OGM/VCS, `+++123/4567/89002+++`), parsed as the rest.

The same three properties as tests/security/test_parsers.py (only its own refusal, canonical
output, never a misread), then what it is for: a partner's float payment recorded under its
reference posts once however the reference was written, including under keys stored before
references were normalised.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.be import ogm_vcs

from tests.security.conftest import assert_books_balance
from tests.security.test_parsers import hostile_text, reproducible
from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.ledger.models import Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import ledger_provider_clearing_account, ledger_transfer
from topup.shops.services import BANK_PROVIDER, shop_accounts_open, shop_float_topup
from topup.subscribers.numbers import (
    InvalidStructuredReference,
    format_structured_reference,
    looks_like_structured_reference,
    normalize_structured_reference,
)

PARTNER = "antwerp-night"
REFERENCE = "090933755493"  # +++090/9337/55493+++


def structured(base: int) -> str:
    digits = f"{base:010d}"
    return digits + ogm_vcs.calc_check_digits(digits)


bases = st.integers(min_value=0, max_value=9_999_999_999)


def written_forms(digits: str) -> list[str]:
    """How a reference reaches us: the transfer form, bank statements, typed by hand."""
    grouped = f"{digits[:3]}/{digits[3:7]}/{digits[7:]}"
    return [
        digits,
        f"+++{grouped}+++",
        f"***{grouped}***",
        grouped,
        f" +++ {grouped} +++ ",
        f"{digits[:3]} {digits[3:7]} {digits[7:]}",
        f"{digits[:3]}.{digits[3:7]}.{digits[7:]}",
        f"{digits[:3]}-{digits[3:7]}-{digits[7:]}\n",
    ]


# --- The parser --------------------------------------------------------------------------------


def test_the_reference_of_the_brief_in_its_usual_forms() -> None:
    for form in ("+++090/9337/55493+++", "090933755493", "***090/9337/55493***"):
        assert normalize_structured_reference(form) == REFERENCE
    assert format_structured_reference(REFERENCE) == "+++090/9337/55493+++"
    with pytest.raises(InvalidStructuredReference):
        normalize_structured_reference("+++090/9337/55494+++")


@reproducible
@given(hostile_text)
def test_any_text_is_refused_or_read_as_twelve_digits_with_a_valid_check(text: str) -> None:
    try:
        digits = normalize_structured_reference(text)
    except InvalidStructuredReference:
        return
    assert len(digits) == 12 and digits.isascii() and digits.isdigit(), (text, digits)
    assert ogm_vcs.is_valid(digits)
    assert normalize_structured_reference(digits) == digits
    assert normalize_structured_reference(format_structured_reference(digits)) == digits


@reproducible
@given(bases)
def test_every_written_form_reads_as_the_same_reference(base: int) -> None:
    digits = structured(base)
    for form in written_forms(digits):
        assert normalize_structured_reference(form) == digits, form
    assert looks_like_structured_reference(format_structured_reference(digits))
    assert looks_like_structured_reference(format_structured_reference(digits).strip("+"))


@reproducible
@given(bases, st.integers(0, 11), st.integers(1, 9))
def test_one_mistyped_digit_is_refused(base: int, position: int, shift: int) -> None:
    digits = structured(base)
    wrong = str((int(digits[position]) + shift) % 10)
    mistyped = digits[:position] + wrong + digits[position + 1 :]
    with pytest.raises(InvalidStructuredReference):
        normalize_structured_reference(format_structured_reference(mistyped))


@reproducible
@given(bases, st.integers(0, 10))
def test_two_neighbouring_digits_swapped_are_refused(base: int, position: int) -> None:
    """Mod 97 catches every swap, across the check digits too (97 is prime, 11 is not 0)."""
    digits = structured(base)
    assume(digits[position] != digits[position + 1])
    swapped = digits[:position] + digits[position + 1] + digits[position] + digits[position + 2 :]
    with pytest.raises(InvalidStructuredReference):
        normalize_structured_reference(swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+++",
        "09093375549",  # 11 digits
        "0909337554930",  # 13 digits
        "000000000000",
        "+++090/9337/55493+++ x",
        "".join(chr(0x0660 + int(d)) for d in REFERENCE),  # Arabic-Indic digits
        "".join(chr(0xFF10 + int(d)) for d in REFERENCE),  # full-width digits
        "0" * 30 + REFERENCE,  # over the input bound
    ],
)
def test_what_is_not_a_structured_reference_is_refused(text: str) -> None:
    with pytest.raises(InvalidStructuredReference):
        normalize_structured_reference(text)


def test_free_text_references_do_not_look_structured() -> None:
    for text in ("BANK-2026-11-25-001", "090933755493", "transfer 12/2026", "x"):
        assert not looks_like_structured_reference(text)


# --- A partner's float payment, recorded by its reference ---------------------------------------


def _float_cents() -> int:
    accounts = shop_accounts_open(shop=Shop.objects.get(code=PARTNER))
    assert accounts.float_account is not None
    return ledger_account_balance_cents(account=accounts.float_account)


def _record(reference: str, amount: str = "250.00") -> None:
    call_command(
        "shops", "float-topup", "--shop", PARTNER, "--amount", amount, "--reference", reference
    )


@pytest.mark.usefixtures("demo")
def test_one_payment_written_three_ways_is_posted_once() -> None:
    before = _float_cents()
    for form in ("+++090/9337/55493+++", "090933755493", "***090/9337/55493***"):
        _record(form)
    assert _float_cents() == before + 25_000
    keys = Transfer.objects.filter(reason_code="partner_float_topup").values_list(
        "idempotency_key", flat=True
    )
    assert list(keys) == [f"shops:float:{PARTNER}:{REFERENCE}"]
    assert_books_balance()


@pytest.mark.usefixtures("demo")
def test_a_payment_recorded_before_normalisation_is_still_recorded_once() -> None:
    """A transfer stored under the reference as typed then is found, written either way now."""
    shop = Shop.objects.get(code=PARTNER)
    accounts = shop_accounts_open(shop=shop)
    assert accounts.float_account is not None
    ledger_transfer(
        idempotency_key=f"shops:float:{PARTNER}:+++090/9337/55493+++",
        debit=ledger_provider_clearing_account(provider=BANK_PROVIDER),
        credit=accounts.float_account,
        amount_cents=25_000,
        reason_code="partner_float_topup",
        actor=Actor.system("tests"),
    )
    before = _float_cents()
    for form in ("090933755493", "+++090/9337/55493+++", "090/9337/55493"):
        shop_float_topup(
            shop=shop, amount_cents=25_000, actor=Actor.system("tests"), idempotency_key=form
        )
    assert _float_cents() == before
    assert Transfer.objects.filter(reason_code="partner_float_topup").count() == 1
    assert_books_balance()


@pytest.mark.usefixtures("demo")
def test_a_mistyped_structured_reference_is_refused_and_posts_nothing() -> None:
    before = _float_cents()
    with pytest.raises(CommandError, match="check digits"):
        _record("+++090/9337/55494+++")
    assert _float_cents() == before


@pytest.mark.usefixtures("demo")
def test_free_text_references_keep_their_key() -> None:
    before = _float_cents()
    _record("BANK-2026-11-25-001")
    _record("BANK-2026-11-25-001")
    _record("BANK-2026-11-25-002", amount="10")
    assert _float_cents() == before + 25_000 + 1_000
    keys = set(
        Transfer.objects.filter(reason_code="partner_float_topup").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {
        f"shops:float:{PARTNER}:BANK-2026-11-25-001",
        f"shops:float:{PARTNER}:BANK-2026-11-25-002",
    }
    assert_books_balance()
