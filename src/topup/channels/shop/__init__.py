"""channels shop."""
