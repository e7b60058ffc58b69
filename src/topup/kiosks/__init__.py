"""The kiosk fleet: devices and their credentials, kiosk sessions, QR hand-off, heartbeats."""
