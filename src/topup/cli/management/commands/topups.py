"""`topup topups import FILE.csv`: credit a file of top-ups (a fleet, a promotion) in bulk."""

from __future__ import annotations

import gc
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _

from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.core.money import format_amount
from topup.topups.bulk import (
    BULK_CHUNK_ROWS,
    BULK_CHUNK_ROWS_MAX,
    BULK_WORKERS,
    BULK_WORKERS_MAX,
    BulkImportReport,
    BulkProgress,
    topup_bulk_funding,
    topup_bulk_import,
)


def _bounded(maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not 0 < value <= maximum:
            raise ArgumentTypeError(f"between 1 and {maximum}")
        return value

    return parse


class _ProgressLine:
    """One line on stderr, rewritten in place after each chunk."""

    def __init__(self, stream: OutputWrapper, name: str) -> None:
        self.stream = stream
        self.name = name
        self.started = time.monotonic()

    def __call__(self, progress: BulkProgress) -> None:
        share = progress.bytes_done / progress.bytes_total if progress.bytes_total else 1.0
        filled = int(share * 30)
        rate = progress.rows_read / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(
            ending="",
            msg=f"\r{self.name} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} "
            f"{progress.rows_read:,} rows ({progress.credited_rows:,} credited, "
            f"{progress.rejected_rows:,} rejected) {rate:,.0f} rows/s",
        )
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("")


class Command(BaseCommand):
    help = (
        "Top-up operations. `import` credits a CSV file of top-ups (msisdn,amount_cents,reference)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        bulk = subcommands.add_parser(
            "import",
            help="credit a CSV file of top-ups; importing it again resumes or changes nothing",
        )
        bulk.add_argument("file", type=Path, help="UTF-8 CSV: msisdn,amount_cents,reference")
        bulk.add_argument(
            "--funding",
            required=True,
            help="'promotions' (promotional credit) or 'company:<ref>' (paid credit, invoiced)",
        )
        bulk.add_argument(
            "--rejects", type=Path, default=None, help="default: <file>.rejects.csv beside it"
        )
        bulk.add_argument(
            "--chunk-rows",
            type=_bounded(BULK_CHUNK_ROWS_MAX),
            default=BULK_CHUNK_ROWS,
            help="rows per transaction (fixed by a file's first run)",
        )
        bulk.add_argument(
            "--workers",
            type=_bounded(BULK_WORKERS_MAX),
            default=BULK_WORKERS,
            help="chunks posted side by side, one database connection each (PostgreSQL)",
        )
        bulk.add_argument("--no-progress", action="store_true", help="no progress line on stderr")

    def handle(
        self,
        *args: object,
        subcommand: str,
        file: Path,
        funding: str,
        rejects: Path | None,
        chunk_rows: int,
        workers: int,
        no_progress: bool,
        **_options: object,
    ) -> None:
        assert subcommand == "import"
        if not file.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": file})
        if rejects is not None and rejects.resolve() == file.resolve():
            raise CommandError(_("--rejects names the input file: choose another path"))
        progress = None if no_progress else _ProgressLine(self.stderr, file.name)
        # Each chunk allocates thousands of short-lived objects: keep the collector's full passes
        # from rescanning every object Django set up before the import began.
        gc.freeze()
        started = time.monotonic()
        try:
            report = topup_bulk_import(
                path=file,
                funding=topup_bulk_funding(name=funding),
                actor=Actor.system("cli:topups"),
                rejects_path=rejects,
                chunk_rows=chunk_rows,
                workers=workers,
                progress=progress,
            )
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        finally:
            gc.unfreeze()
            if progress is not None:
                progress.end()
        self._summary(report, time.monotonic() - started)

    def _summary(self, report: BulkImportReport, elapsed_s: float) -> None:
        if report.already_completed:
            self.stdout.write(
                _(
                    "bulk import %(id)s: this file was imported in full before; nothing to do. "
                    "To retry rejected rows, import a file with them."
                )
                % {"id": report.import_id}
            )
        elif report.resumed:
            self.stdout.write(
                _("bulk import %(id)s: resumed where an interrupted run stopped.")
                % {"id": report.import_id}
            )
        self.stdout.write(
            _(
                "bulk import %(id)s: %(rows)s rows: %(credited)s credited (€ %(amount)s), "
                "%(replayed)s already credited before, %(rejected)s rejected"
            )
            % {
                "id": report.import_id,
                "rows": f"{report.rows_read:,}",
                "credited": f"{report.credited_rows:,}",
                "amount": format_amount(report.credited_cents),
                "replayed": f"{report.replayed_rows:,}",
                "rejected": f"{report.rejected_rows:,}",
            }
        )
        self.stdout.write(
            _("%(rows)s rows in %(seconds).1f s (%(rate)s rows/s)")
            % {
                "rows": f"{report.rows_read:,}",
                "seconds": elapsed_s,
                "rate": f"{report.rows_read / max(elapsed_s, 1e-6):,.0f}",
            }
        )
        self.stdout.write(_("rejected rows: %(path)s") % {"path": report.rejects_path})
