"""Self-care website views, one module per area; each view validates, calls a service, renders."""
