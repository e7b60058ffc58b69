"""`python -m topup.cli` is the `topup` command."""

from topup.cli import main

main()
