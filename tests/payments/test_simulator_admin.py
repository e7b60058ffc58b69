"""Staff switch the simulator's webhook behaviour from the admin, on the record."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from topup.audit.models import AuditEvent
from topup.payments.simulator.models import SimulatorSettings
from topup.payments.simulator.services import simulator_settings_get, simulator_settings_update

pytestmark = pytest.mark.django_db


def test_staff_switch_the_webhook_mode_in_the_admin(client: Client) -> None:
    admin = User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")
    client.force_login(admin)
    simulator_settings_get()
    url = f"/admin/payments/simulatorsettings/{SimulatorSettings.SINGLETON_ID}/change/"

    response = client.post(url, {"webhook_mode": "late", "late_delay_s": "90"})

    assert response.status_code == 302, response.content
    row = simulator_settings_get()
    assert (row.webhook_mode, row.late_delay_s, row.outage) == ("late", 90, False)
    event = AuditEvent.objects.get(action="simulator.settings_changed")
    assert event.actor_id == str(admin.pk)
    assert event.data["webhook_mode"] == "late"


def test_the_settings_service_refuses_unknown_modes_and_unbounded_delays() -> None:
    with pytest.raises(ValueError, match="webhook mode"):
        simulator_settings_update(webhook_mode="sometimes")
    with pytest.raises(ValueError, match="late_delay_s"):
        simulator_settings_update(late_delay_s=10**6)
    assert simulator_settings_get().webhook_mode == "normal"
