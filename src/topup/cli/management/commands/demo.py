"""`topup demo`: migrate the embedded database, load demo data once, run web server and worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from argparse import ArgumentParser

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from topup.cli.demo_data import DEMO_STAFF, DEMO_SUBSCRIBERS, demo_data_load
from topup.kiosks.services import kiosks_demo_setup
from topup.shops.services import DEMO_SHOP_STAFF, shop_demo_setup
from topup.visits.demo import visits_demo_setup


class Command(BaseCommand):
    help = "Run the product on its embedded defaults with demo data (Ctrl-C stops everything)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and exit")

    def handle(
        self, *args: object, port: int, host: str, no_serve: bool, **options: object
    ) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        loaded = demo_data_load()
        # Both are idempotent: shop staff, cash drawers and the partner float; opening hours and
        # a few weeks of queue history so the busy-hours chart has something to show.
        shop_demo_setup()
        visits_demo_setup()
        kiosk_codes = kiosks_demo_setup()
        self.stdout.write("Demo data loaded." if loaded else "Demo data already present.")
        public_url = f"http://{host}:{port}"
        settings.TOPUP_PUBLIC_URL = public_url
        self._print_welcome(public_url)
        self.stdout.write("  Kiosks (open in a browser, portrait 1080x1920; the link enrols it):")
        for kiosk, code in kiosk_codes:
            self.stdout.write(f"    {kiosk.name:<28} {public_url}/kiosk/enrol/{code}")
        self.stdout.write(f"  Kiosk finder    {public_url}/kiosks/\n")
        if no_serve:
            return
        env = {
            **os.environ,
            "TOPUP_PUBLIC_URL": public_url,
            "TOPUP_DATA_DIR": str(settings.DATA_DIR),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "topup.cli", "worker", "--interval", "0.5"], env=env
        )
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C while stopping must not leave the worker running.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            self.stdout.write("Stopped the web server and the worker.")

    def _print_welcome(self, public_url: str) -> None:
        lines = [
            "",
            "Topup demo",
            f"  Website         {public_url}/   (log in with a number below; the SMS code is in",
            "                  the outbox: `topup sms outbox --msisdn NUMBER --last`)",
            f"  API docs        {public_url}/api/v1/docs",
            f"  OpenAPI         {public_url}/api/v1/openapi.json",
            f"  Back office     {public_url}/backoffice/   (customer service, disputes,",
            "                  compliance, finance, dashboards; raw data in the admin: /admin/)",
            f"  Agent console   {public_url}/shop/   (staff below; two-factor is skipped in the",
            "                  demo and required with TOPUP_ENV=production)",
            f"  Shop finder     {public_url}/shops/",
            f"  Health          {public_url}/healthz   {public_url}/readyz   {public_url}/metrics",
            "  Staff logins (demo passwords; back office at /backoffice/, shop staff at /shop/):",
            *[f"    {user:<16} {password}  ({group})" for user, password, group, _su in DEMO_STAFF],
            *[
                f"    {user:<16} {password}  ({role.label}, {shop})"
                for user, password, shop, role in DEMO_SHOP_STAFF
                if user not in {staff[0] for staff in DEMO_STAFF}
            ],
            "  Subscribers (log in with the number; read the SMS code with",
            "  `topup sms outbox --msisdn NUMBER --last`):",
            *[
                f"    {s.msisdn}  {'identified' if s.identified else 'awaiting identification'}"
                f"  € {s.opening_cents // 100}.{s.opening_cents % 100:02d}"
                for s in DEMO_SUBSCRIBERS
            ],
            f"  Data            {settings.DATA_DIR}",
            "",
        ]
        self.stdout.write("\n".join(lines))
