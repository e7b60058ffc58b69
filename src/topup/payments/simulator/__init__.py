"""payments simulator."""
