"""The shop counter: staff, cash drawers and partner floats, counter sales, voids, till close."""
