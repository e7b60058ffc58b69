"""`topup crypto rotate`: re-encrypt personal data at rest with the first configured key."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from topup.audit.services import Actor
from topup.cli.field_keys import ROTATION_BATCH_MAX, field_encryption_rotate


class Command(BaseCommand):
    help = (
        "Encryption keys of personal data. `rotate` re-encrypts every stored value with the first "
        "key of TOPUP_FIELD_ENCRYPTION_KEYS; drop an old key only after it reports 0 unreadable."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        rotate = subcommands.add_parser("rotate", help="re-encrypt with the first key")
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=200,
            help=f"rows per transaction (1-{ROTATION_BATCH_MAX})",
        )

    def handle(self, *args: object, subcommand: str, batch_size: int, **_: object) -> None:
        assert subcommand == "rotate"
        if not 0 < batch_size <= ROTATION_BATCH_MAX:
            raise CommandError(f"--batch-size is 1 to {ROTATION_BATCH_MAX}")
        counts = field_encryption_rotate(actor=Actor.system("cli:crypto"), batch_size=batch_size)
        for count in counts:
            self.stdout.write(
                f"{count.table}: {count.rotated} re-encrypted, {count.current} already current, "
                f"{count.unreadable} unreadable"
            )
        unreadable = sum(count.unreadable for count in counts)
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) no configured key can read: put the key they were "
                "encrypted with back into TOPUP_FIELD_ENCRYPTION_KEYS and run again"
            )
