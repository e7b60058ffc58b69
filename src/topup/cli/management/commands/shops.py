"""`topup shops float-topup`: record a partner's payment into its prepaid float (operator side)."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.core.errors import ApplicationError
from topup.core.money import AmountParseError, format_amount, parse_amount_cents
from topup.ledger.selectors import ledger_account_balance_cents
from topup.shops.services import shop_float_topup
from topup.subscribers.numbers import (
    InvalidStructuredReference,
    looks_like_structured_reference,
    normalize_structured_reference,
)


class Command(BaseCommand):
    help = "Shop operations. `float-topup` records a partner shop's payment into its float."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        float_topup = subcommands.add_parser("float-topup", help="credit a partner's float")
        float_topup.add_argument("--shop", required=True, help="the partner shop's code")
        float_topup.add_argument("--amount", required=True, help="euros, e.g. 250.00")
        float_topup.add_argument(
            "--reference",
            required=True,
            help=(
                "the payment's reference (bank statement line, or its structured reference "
                "+++123/4567/89002+++): recording it twice posts once"
            ),
        )

    def handle(
        self, *args: object, subcommand: str, shop: str, amount: str, reference: str, **_: object
    ) -> None:
        assert subcommand == "float-topup"
        partner = Shop.objects.filter(code=shop).first()
        if partner is None:
            raise CommandError(f"no shop with code {shop!r}")
        _structured_reference_check(reference)
        try:
            amount_cents = parse_amount_cents(amount)
            accounts = shop_float_topup(
                shop=partner,
                amount_cents=amount_cents,
                actor=Actor.system("cli:shops"),
                idempotency_key=reference,
            )
        except AmountParseError as error:
            raise CommandError(f"not an amount in euros: {amount!r}") from error
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        assert accounts.float_account is not None
        left = ledger_account_balance_cents(account=accounts.float_account)
        self.stdout.write(f"float of {partner.code}: € {format_amount(left)}")


def _structured_reference_check(reference: str) -> None:
    """A reference written as a structured one must pass its mod-97 check: a typo is refused."""
    if not looks_like_structured_reference(reference):
        return
    try:
        normalize_structured_reference(reference)
    except InvalidStructuredReference as error:
        raise CommandError(
            f"not a valid structured reference (check digits): {reference!r}; "
            "copy it again from the bank statement"
        ) from error
