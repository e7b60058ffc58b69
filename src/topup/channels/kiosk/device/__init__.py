"""The kiosk screens: what a kiosk device shows, under /kiosk/."""
