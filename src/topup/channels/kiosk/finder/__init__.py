"""The public "nearest kiosk" finder under /kiosks/."""
