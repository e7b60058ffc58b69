"""Back office: the disputes screens."""
