"""The shop counter: staff and their shops, cash drawers and partner floats, counter sales, voids, till close."""
