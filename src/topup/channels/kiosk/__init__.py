"""channels kiosk."""
