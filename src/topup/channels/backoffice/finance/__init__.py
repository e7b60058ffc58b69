"""Back office: the finance screens."""
