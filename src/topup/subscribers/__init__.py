"""subscribers."""
