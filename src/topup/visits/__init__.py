"""Shop visits: queue tickets, bookings, opening hours, busy hours, and finding a shop."""
