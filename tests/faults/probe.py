"""`python -m tests.faults.probe COMMAND`: the Django side of the fault tests, run against the
database in DATABASE_URL (never the test process's own). Prints one JSON object.

  reconcile            run the reconciliation sweep until no order waits for its payment
  check [--acks FILE]  every invariant after a run, and the figures of the run
  simulator ...        switch the payment simulator (webhook mode, late delay, outage)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Final

OPEN_STATUSES: Final = ("created", "awaiting_payment", "paid")
RECONCILE_DEADLINE_S: Final = 60.0


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "topup.config.settings")
    django.setup()


def reconcile() -> dict[str, object]:
    """The sweep as the worker runs it, with the 60-second grace taken away: time has passed."""
    from topup.topups import services
    from topup.topups.models import TopupOrder

    services.RECONCILE_AFTER_S = 0
    rounds = reconciled = expired = 0
    deadline = time.monotonic() + RECONCILE_DEADLINE_S
    while time.monotonic() < deadline:
        report = services.topup_orders_sweep()
        rounds += 1
        reconciled += report.reconciled
        expired += report.expired
        if not TopupOrder.objects.filter(status__in=OPEN_STATUSES).exists():
            break
        time.sleep(1.0)  # an order younger than its time to live waits until it expires
    still_open = TopupOrder.objects.filter(status__in=OPEN_STATUSES).count()
    return {"rounds": rounds, "reconciled": reconciled, "expired": expired, "open": still_open}


def simulator(*, webhook_mode: str | None, late_delay_s: int | None, outage: bool | None) -> dict:
    from topup.payments.simulator.services import simulator_settings_update

    row = simulator_settings_update(
        webhook_mode=webhook_mode, late_delay_s=late_delay_s, outage=outage
    )
    return {
        "webhook_mode": row.webhook_mode,
        "late_delay_s": row.late_delay_s,
        "outage": row.outage,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.probe")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reconcile")
    check_parser = commands.add_parser("check")
    check_parser.add_argument("--acks", type=Path)
    sim = commands.add_parser("simulator")
    sim.add_argument("--webhook-mode")
    sim.add_argument("--late-delay-s", type=int)
    sim.add_argument("--outage", choices=["on", "off"])
    args = parser.parse_args(argv)
    _setup()
    if args.command == "reconcile":
        result = reconcile()
    elif args.command == "check":
        from tests.faults.invariants import invariants_check

        acks = json.loads(args.acks.read_text()) if args.acks else {}
        result = invariants_check(acks=acks)
    else:
        outage = None if args.outage is None else args.outage == "on"
        result = simulator(
            webhook_mode=args.webhook_mode, late_delay_s=args.late_delay_s, outage=outage
        )
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
