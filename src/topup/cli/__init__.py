"""The `topup` command: Django's management commands under the product's name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "topup.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["topup", *sys.argv[1:]])
