"""`topup ledger verify`: prove every money invariant over the whole database."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from topup.ledger.verify import ledger_verify
from topup.topups.verify import topup_verify


class Command(BaseCommand):
    help = "Ledger operations. `verify` checks every invariant and exits non-zero on a violation."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("verify", help="check every ledger and top-up invariant")

    def handle(self, *args: object, subcommand: str, **options: object) -> None:
        assert subcommand == "verify"
        problems = ledger_verify() + topup_verify()
        for problem in problems:
            self.stderr.write(f"VIOLATION {problem}")
        if problems:
            raise CommandError(f"ledger verify: {len(problems)} violation(s)")
        self.stdout.write("ledger verify: OK (all invariants hold)")
