"""Background work for the kiosk fleet: stale kiosks out of service, abandoned sessions wiped."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def kiosk_sweep() -> dict[str, int]:
    from topup.kiosks.services import kiosk_sessions_wipe_idle, kiosk_sweep_stale

    return {"stale": kiosk_sweep_stale(), "wiped": kiosk_sessions_wipe_idle()}
