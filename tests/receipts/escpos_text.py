"""Read ESC/POS bytes as a thermal printer would show them, for assertions.

The printer starts in code page 0 (CP437) and switches on ESC t n; each run of bytes is decoded
with the page in force, using the code page tables of python-escpos's default printer profile.
Commands stay in the text as noise, which "in" assertions ignore.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

from escpos.codepages import CodePages
from escpos.printer import Dummy

ESC_INIT: Final = b"\x1b@"
CUT: Final = b"\x1dV"  # GS V
QR: Final = b"\x1d(k"  # GS ( k, the native 2D code command

_SWITCH: Final = re.compile(rb"\x1bt(.)", re.DOTALL)


@cache
def _upper_half(slot: int) -> tuple[str, ...]:
    """The characters of bytes 0x80..0xFF in the profile's code page `slot`."""
    names: dict[str, str] = Dummy().profile.get_code_pages()
    name = next(name for name, number in names.items() if int(number) == slot)
    page: dict[str, str] = CodePages.get_encoding(name)
    if "python_encode" in page:
        return tuple(
            bytes([byte]).decode(page["python_encode"], "replace") for byte in range(128, 256)
        )
    return tuple("".join(page["data"]))


def _decode(run: bytes, slot: int) -> str:
    upper = _upper_half(slot)
    return "".join(chr(byte) if byte < 128 else upper[byte - 128] for byte in run)


def escpos_text(content: bytes) -> str:
    """The printed characters; a code page outside the printer profile fails the test."""
    parts = _SWITCH.split(content)
    text = _decode(parts[0], 0)
    for page_byte, run in zip(parts[1::2], parts[2::2], strict=True):
        text += _decode(run, page_byte[0])
    return text
