"""Compliance screen fixtures: the compliance domain fixtures, shared with tests/compliance."""

from tests.compliance.conftest import brand, identified, new_line, officer

__all__ = ["brand", "identified", "new_line", "officer"]
