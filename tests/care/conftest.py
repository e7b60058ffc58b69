"""Fixtures for customer-service workflows: the top-up demo data, orders, and a staff actor."""

from __future__ import annotations

import pytest

from tests.topups import conftest as topups
from topup.audit.services import Actor

# The top-up fixtures: the demo data, creating an order, paying on the simulator's page.
demo = topups.demo
customer = topups.customer
create_order = topups.create_order
pay = topups.pay


@pytest.fixture
def staff() -> Actor:
    return Actor(actor_type="staff", actor_id="41", ip_address="192.0.2.41")
