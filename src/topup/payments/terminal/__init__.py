"""The card terminal at a shop counter: a small port (`port.py`) and a deterministic simulator."""
