"""channels web."""
