"""`topup sms outbox --msisdn NUMBER [--last]`: what the platform sent to a number."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from topup.messaging.selectors import SmsOutboxEntry, sms_outbox_list
from topup.subscribers.numbers import InvalidNumber, format_msisdn_national, normalize_msisdn


class Command(BaseCommand):
    help = "SMS tools. `outbox` prints the messages sent to a number (newest first)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        outbox: ArgumentParser = subcommands.add_parser(
            "outbox", help="print what was sent to a number"
        )
        outbox.add_argument(
            "--msisdn", required=True, help="the number, e.g. 0470 12 34 56 or +32470123456"
        )
        outbox.add_argument("--last", action="store_true", help="only the newest message")

    def handle(self, *args: str, **options: object) -> None:
        if options["subcommand"] == "outbox":
            self._outbox(number=str(options["msisdn"]), last_only=bool(options["last"]))

    def _outbox(self, *, number: str, last_only: bool) -> None:
        try:
            msisdn = normalize_msisdn(number)
        except InvalidNumber as error:
            raise CommandError(
                f"{number!r} is not a Belgian mobile number. "
                "Type it as 0470 12 34 56, +32 470 12 34 56 or 0032 470 12 34 56."
            ) from error
        entries = sms_outbox_list(msisdn=msisdn, last_only=last_only)
        national = format_msisdn_national(msisdn)
        if not entries:
            self.stdout.write(f"No messages to {national} ({msisdn}).")
            return
        self.stdout.write(f"Messages to {national} ({msisdn}), newest first:")
        for entry in entries:
            self.stdout.write(_entry_line(entry))


def _entry_line(entry: SmsOutboxEntry) -> str:
    moment = timezone.localtime(entry.sent_at or entry.created_at)
    return (
        f"{moment:%Y-%m-%d %H:%M:%S %Z}  from {entry.sender_name}  [{entry.status}]  {entry.body}"
    )
