"""Back office: the compliance screens."""
