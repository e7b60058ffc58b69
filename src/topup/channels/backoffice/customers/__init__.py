"""Back office: the customers screens."""
