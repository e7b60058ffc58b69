"""Agent console views, one module per area; each view validates, calls one service, renders."""
