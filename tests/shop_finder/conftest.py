"""The finder's fixtures are the visits fixtures: demo shops, default hours, a Wednesday clock."""

from tests.visits.conftest import agent, demo, now, other_shop, second_agent, shop

__all__ = ["agent", "demo", "now", "other_shop", "second_agent", "shop"]
