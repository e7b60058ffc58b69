"""Receipts: one receipt model and its renderings (PDF now, ESC/POS for printers later)."""
