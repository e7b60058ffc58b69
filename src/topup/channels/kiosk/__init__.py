"""The kiosk channel: the kiosk screens (/kiosk/, device credential required) and the public kiosk finder (/kiosks/)."""
