"""The identity provider simulator's table: the authorization codes it handed out.

Only a SHA-256 of each code is kept. A code is single-use, short-lived, and bound to the client,
the redirect URI and the nonce it was issued for, as an OpenID-Connect provider binds them.
"""

from __future__ import annotations

from django.db import models


class SimulatorAuthorizationCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.CharField(max_length=500)
    nonce = models.CharField(max_length=128)
    method = models.CharField(max_length=32)
    persona = models.CharField(max_length=32)  # which demo identity the tester chose
    transaction_id = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.transaction_id
