"""topups."""
