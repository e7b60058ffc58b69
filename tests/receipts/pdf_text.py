"""Read a PDF's text as a customer's viewer would, for assertions (spaces removed)."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """All text of every page with whitespace removed.

    pypdf reads fpdf2's CID-keyed font runs with padding (spaces, or NULs of UTF-16 code units)
    between glyphs; without it the text is what the page shows.
    """
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    return "".join(text.replace("\x00", "").split())
