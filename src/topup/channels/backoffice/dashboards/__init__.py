"""Back office: the dashboards screens."""
