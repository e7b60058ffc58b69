"""Background work for compliance: the anomaly scan, and the daily retention run."""

from __future__ import annotations

from django_tasks import task

from topup.audit.services import Actor


@task(queue_name="default")
def compliance_scan_task() -> dict[str, int]:
    from topup.compliance.services import compliance_scan_periodic

    report = compliance_scan_periodic(actor=Actor.system("worker:compliance"))
    if report is None:
        return {"skipped": 1}
    return {"found": report.found, "opened": report.opened_total}


@task(queue_name="default")
def identification_retention_task() -> dict[str, int]:
    from topup.compliance.services import identification_retention_periodic

    run = identification_retention_periodic(actor=Actor.system("worker:retention"))
    if run is None:
        return {"skipped": 1}
    return {
        "run": run.pk,
        "records_erased": run.records_erased,
        "subscribers_erased": run.subscribers_erased,
    }
