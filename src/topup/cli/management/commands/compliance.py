"""`topup compliance scan` and `topup compliance retention [--dry-run]`: compliance jobs by hand."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from topup.audit.services import Actor
from topup.compliance.services import compliance_scan, identification_retention_run


class Command(BaseCommand):
    help = (
        "Compliance jobs. `scan` opens review cases for identification anomalies; `retention` "
        "erases identification data whose retention period is over (`--dry-run` only reports)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("scan", help="find anomalies and open a case for each new one")
        retention = subcommands.add_parser(
            "retention", help="erase identification data past its retention period"
        )
        retention.add_argument(
            "--dry-run", action="store_true", help="report what would be erased; erase nothing"
        )

    def handle(self, *args: object, subcommand: str, **options: object) -> None:
        if subcommand == "scan":
            report = compliance_scan(actor=Actor.system("cli:compliance"))
            opened = ", ".join(f"{kind} {count}" for kind, count in report.opened.items())
            self.stdout.write(
                f"compliance scan {report.scan_id}: {report.found} finding(s), "
                f"{report.opened_total} new case(s) ({opened})"
            )
            return
        assert subcommand == "retention"
        dry_run = bool(options.get("dry_run"))
        run = identification_retention_run(actor=Actor.system("cli:retention"), dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(
            f"retention run {run.pk} (cutoff {run.cutoff:%Y-%m-%d %H:%M} UTC): {verb} "
            f"{run.records_erased} identification record(s) and {run.subscribers_erased} "
            f"subscriber name(s)" + ("; more are due, run again" if run.more_due else "")
        )
