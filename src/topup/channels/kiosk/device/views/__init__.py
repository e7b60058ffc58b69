"""The kiosk screens' views: device (enrolment, heartbeat, wipe), identity, and the purchase."""
