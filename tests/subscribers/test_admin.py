"""The admin shows identification records with masked numbers only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from topup.audit.services import Actor
from topup.subscribers.models import Sim

from .factories import identify

pytestmark = pytest.mark.django_db


def test_the_admin_never_shows_a_document_number_in_clear_or_encrypted(
    sim: Sim, system_actor: Actor, client: Client
) -> None:
    record = identify(sim=sim, actor=system_actor)
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(admin)
    pages = [
        client.get("/admin/subscribers/identificationrecord/"),
        client.get(f"/admin/subscribers/identificationrecord/{record.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "*********458" in html
        assert "591191706458" not in html
        assert record.document_number_encrypted not in html
