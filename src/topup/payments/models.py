"""Payment records (filled by the payments package)."""
