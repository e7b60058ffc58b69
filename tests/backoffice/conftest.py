"""Back-office fixtures: staff users in a role, and test clients logged in as them."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Protocol

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

_numbers = itertools.count(1)


class StaffUserFactory(Protocol):
    def __call__(self, role: str | None, *, superuser: bool = False) -> User: ...


class StaffClientFactory(Protocol):
    def __call__(self, role: str | None, *, superuser: bool = False) -> Client: ...


@pytest.fixture
def staff_user(db: None) -> StaffUserFactory:
    """A fresh active user in the group named `role` (None: no group at all)."""

    def create(role: str | None, *, superuser: bool = False) -> User:
        user = User.objects.create_user(
            username=f"{role or 'nobody'}-{next(_numbers)}",
            password="staff-password-2026",
            is_staff=superuser,
            is_superuser=superuser,
        )
        if role is not None:
            group, _created = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        return user

    return create


@pytest.fixture
def staff_client(staff_user: StaffUserFactory) -> StaffClientFactory:
    """A test client logged in (password; no second factor outside production) as a new user."""

    def create(role: str | None, *, superuser: bool = False) -> Client:
        client = Client()
        client.force_login(staff_user(role, superuser=superuser))
        return client

    return create


StaffClient = Callable[..., Client]
