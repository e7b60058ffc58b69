"""The agent console: staff-only pages under /shop/."""
