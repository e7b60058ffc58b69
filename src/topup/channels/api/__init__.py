"""channels api."""
