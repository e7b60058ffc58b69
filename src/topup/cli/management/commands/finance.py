"""`topup finance`: import a settlement report, print the trial balance of a day."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.core.money import format_amount
from topup.finance.exports import trial_balance_csv
from topup.finance.labels import account_kind_label, account_type_label
from topup.finance.selectors import TrialBalance, reconciliation_counts, trial_balance
from topup.finance.services import settlement_report_import
from topup.finance.settlement_csv import MAX_REPORT_BYTES


class Command(BaseCommand):
    help = (
        "Finance. `import-settlement` imports and reconciles a provider's settlement report; "
        "`trial-balance` prints the debits, credits and balances at the end of a day."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        report = subcommands.add_parser("import-settlement", help="import a settlement report")
        report.add_argument("file", help="the provider's CSV file")
        report.add_argument(
            "--provider", required=True, help="the payment provider, e.g. simulator"
        )
        balance = subcommands.add_parser("trial-balance", help="the trial balance of a day")
        balance.add_argument("--date", required=True, help="the day, YYYY-MM-DD (Brussels)")
        balance.add_argument("--csv", action="store_true", help="CSV on standard output")

    def handle(self, *args: object, subcommand: str, **options: object) -> None:
        try:
            if subcommand == "import-settlement":
                self._import(str(options["file"]), provider=str(options["provider"]))
            else:
                assert subcommand == "trial-balance"
                self._trial_balance(str(options["date"]), as_csv=bool(options["csv"]))
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error

    def _import(self, file: str, *, provider: str) -> None:
        path = Path(file)
        try:
            with path.open("rb") as stream:
                content = stream.read(MAX_REPORT_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        report = settlement_report_import(
            provider=provider,
            filename=path.name,
            content=content,
            actor=Actor.system("cli:finance"),
        )
        if report.already_imported:
            self.stdout.write(f"already imported as report {report.pk}: nothing changed")
            return
        counts = reconciliation_counts(report=report)
        found = ", ".join(f"{kind} {n}" for kind, n in counts.by_kind.items())
        self.stdout.write(
            f"report {report.pk}: {report.line_count} lines; {found}; "
            f"open {counts.by_status['open']}; fees € {format_amount(report.fee_cents)}"
        )

    def _trial_balance(self, date: str, *, as_csv: bool) -> None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as error:
            raise CommandError(f"not a day written YYYY-MM-DD: {date!r}") from error
        balance = trial_balance(on=day)
        if as_csv:
            self.stdout.write(
                trial_balance_csv(balance=balance, decimal_comma=False).decode("utf-8-sig"),
                ending="",
            )
            return
        self._trial_balance_table(balance)

    def _trial_balance_table(self, balance: TrialBalance) -> None:
        self.stdout.write(f"trial balance at the end of {balance.on} (Europe/Brussels)")
        line = "{:<12} {:<36} {:>14} {:>14} {:>14}"
        self.stdout.write(line.format("type", "account", "debits", "credits", "balance"))
        for section in balance.sections:
            for row in section.rows:
                name = row.account_code or account_kind_label(row.kind)
                self.stdout.write(
                    line.format(
                        account_type_label(section.account_type)[:12],
                        name[:36],
                        format_amount(row.debits_cents),
                        format_amount(row.credits_cents),
                        format_amount(row.balance_cents),
                    )
                )
        self.stdout.write(
            line.format(
                "total",
                "",
                format_amount(balance.debits_cents),
                format_amount(balance.credits_cents),
                "",
            )
        )
        self.stdout.write("debits equal credits" if balance.balanced else "NOT BALANCED")
