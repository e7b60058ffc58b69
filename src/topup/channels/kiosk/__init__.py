"""The kiosk channel: device screens under /kiosk/ (credential required), finder under /kiosks/."""
