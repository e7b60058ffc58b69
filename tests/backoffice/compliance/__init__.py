"""The back office compliance screens."""
