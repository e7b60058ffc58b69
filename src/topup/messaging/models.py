"""SMS outbox and one-time codes."""
