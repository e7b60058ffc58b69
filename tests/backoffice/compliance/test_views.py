"""The compliance screens: who may open them, what they show (masked only), what they do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.backoffice.conftest import StaffClientFactory, StaffUserFactory
from tests.compliance.conftest import Identify, NewLine, a_card_number, days
from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.compliance.models import CaseKind, CaseStatus, ComplianceCase, RetentionRun
from topup.compliance.services import (
    compliance_case_decide,
    compliance_scan,
    identification_retention_run,
)
from topup.subscribers.models import HoldReason, IdentificationRecord, Sim, SimStatus
from topup.subscribers.services import line_hold_open, sim_status_change

pytestmark = pytest.mark.django_db

CARD = "591191706458"


@pytest.fixture
def cases(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> dict[str, ComplianceCase]:
    """An expired-document case and a SIM-swap case, on two lines."""
    expired, swapped = new_line(), new_line()
    identified(expired, document_number=CARD, expires_on=clock.now().date() + dt.timedelta(1))
    identified(swapped)
    line_hold_open(sim=swapped, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    clock.advance(seconds=days(2))
    compliance_scan(actor=system_actor)
    return {case.kind: case for case in ComplianceCase.objects.all()}


def page(response: object) -> str:
    content = getattr(response, "content", b"")
    assert isinstance(content, bytes)
    return content.decode()


def assert_strict_csp_markup(html: str) -> None:
    assert 'style="' not in html
    assert "<style" not in html
    assert "<script>" not in html


ROUTES = [
    ("get", "compliance-queue", {}),
    ("get", "compliance-case", {"case_id": 1}),
    ("post", "compliance-case-decide", {"case_id": 1}),
    ("post", "compliance-scan", {}),
    ("get", "compliance-retention", {}),
    ("post", "compliance-retention-run", {}),
    ("get", "compliance-retention-report", {"run_id": 1}),
]


@pytest.mark.parametrize(("method", "name", "kwargs"), ROUTES)
@pytest.mark.parametrize("role", ["customer_service", "finance", "operations", None])
def test_only_compliance_may_open_the_compliance_screens(
    staff_client: StaffClientFactory,
    method: str,
    name: str,
    kwargs: dict[str, int],
    role: str | None,
) -> None:
    response = getattr(staff_client(role), method)(reverse(f"backoffice:{name}", kwargs=kwargs))
    assert response.status_code == 403
    assert not RetentionRun.objects.exists()


@pytest.mark.parametrize(("method", "name", "kwargs"), ROUTES)
def test_anonymous_is_sent_to_the_login_page(
    client: Client, method: str, name: str, kwargs: dict[str, int]
) -> None:
    response = getattr(client, method)(reverse(f"backoffice:{name}", kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login?next=")


def test_the_queue_shows_open_cases_per_kind_with_masked_numbers(
    staff_client: StaffClientFactory, cases: dict[str, ComplianceCase]
) -> None:
    response = staff_client("compliance").get(reverse("backoffice:compliance-queue"))
    assert response.status_code == 200
    html = page(response)
    assert 'data-kind="expired_document" data-open-count="1"' in html
    assert 'data-kind="sim_swap" data-open-count="1"' in html
    assert 'data-kind="too_many_sims" data-open-count="0"' in html
    for case in cases.values():
        assert f'data-case-id="{case.pk}"' in html
        assert case.sim.msisdn not in html
    assert "•• ••" in html
    assert_strict_csp_markup(html)


def test_the_queue_filters_by_kind_and_shows_decided_cases_on_request(
    staff_client: StaffClientFactory, cases: dict[str, ComplianceCase], officer: Actor
) -> None:
    client = staff_client("compliance")
    url = reverse("backoffice:compliance-queue")
    html = page(client.get(url, {"kind": "sim_swap"}))
    assert f'data-case-id="{cases["sim_swap"].pk}"' in html
    assert f'data-case-id="{cases["expired_document"].pk}"' not in html
    compliance_case_decide(case=cases["sim_swap"], decision="clear", reason="ok", actor=officer)
    assert f'data-case-id="{cases["sim_swap"].pk}"' not in page(client.get(url))
    decided = page(client.get(url, {"status": "cleared"}))
    assert f'data-case-id="{cases["sim_swap"].pk}"' in decided


def test_a_case_shows_masked_numbers_only_and_opening_it_is_audited(
    staff_user: StaffUserFactory, cases: dict[str, ComplianceCase]
) -> None:
    case = cases[CaseKind.EXPIRED_DOCUMENT]
    user = staff_user("compliance")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("backoffice:compliance-case", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    html = page(response)
    assert "*********458" in html
    assert CARD not in html
    assert case.sim.msisdn not in html
    assert "J** P******" in html
    assert f'data-record-id="{case.identification_record_id}" class="compliance-in-case"' in html
    assert 'name="decision"' in html
    assert_strict_csp_markup(html)
    event = AuditEvent.objects.get(action="customer.viewed")
    assert (event.actor_type, event.actor_id) == ("staff", str(user.pk))
    assert (event.object_type, event.object_id) == ("subscribers.sim", str(case.sim_id))
    assert event.data["compliance_case_id"] == case.pk


def test_an_unknown_case_is_a_404_page(staff_client: StaffClientFactory) -> None:
    response = staff_client("compliance").get(
        reverse("backoffice:compliance-case", kwargs={"case_id": 999_999})
    )
    assert response.status_code == 404
    assert 'data-error-code="compliance_case_not_found"' in page(response)


def test_deciding_a_case_suspends_the_line_and_shows_the_decision(
    staff_client: StaffClientFactory, cases: dict[str, ComplianceCase]
) -> None:
    case = cases[CaseKind.SIM_SWAP]
    client = staff_client("compliance")
    url = reverse("backoffice:compliance-case-decide", kwargs={"case_id": case.pk})
    response = client.post(url, {"decision": "suspend_line", "reason": "swap not confirmed"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert (case.status, case.decision) == (CaseStatus.ACTIONED, "suspend_line")
    assert Sim.objects.get(pk=case.sim_id).status == SimStatus.SUSPENDED
    html = page(client.get(response["Location"]))
    assert 'data-case-decision="suspend_line"' in html
    assert "swap not confirmed" in html
    assert 'name="decision"' not in html  # decided: no form any more


def test_a_decision_without_a_reason_is_shown_at_the_reason_field(
    staff_client: StaffClientFactory, cases: dict[str, ComplianceCase]
) -> None:
    case = cases[CaseKind.SIM_SWAP]
    url = reverse("backoffice:compliance-case-decide", kwargs={"case_id": case.pk})
    response = staff_client("compliance").post(url, {"decision": "clear", "reason": "  "})
    assert response.status_code == 422
    assert 'data-error-for="reason"' in page(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_deciding_twice_is_a_conflict(
    staff_client: StaffClientFactory, cases: dict[str, ComplianceCase]
) -> None:
    case = cases[CaseKind.SIM_SWAP]
    client = staff_client("compliance")
    url = reverse("backoffice:compliance-case-decide", kwargs={"case_id": case.pk})
    assert client.post(url, {"decision": "clear", "reason": "fine"}).status_code == 303
    response = client.post(url, {"decision": "suspend_line", "reason": "second thoughts"})
    assert response.status_code == 409
    assert 'data-error-code="compliance_case_already_decided"' in page(response)
    assert Sim.objects.get(pk=case.sim_id).status == SimStatus.ACTIVE


def test_scan_now_opens_the_new_cases(
    staff_client: StaffClientFactory, new_line: NewLine, identified: Identify, system_actor: Actor
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    response = staff_client("compliance").post(reverse("backoffice:compliance-scan"))
    assert response.status_code == 303
    assert ComplianceCase.objects.filter(sim=sim, kind=CaseKind.SIM_SWAP).count() == 1


def test_retention_dry_run_then_erase_from_the_screen(
    staff_client: StaffClientFactory,
    new_line: NewLine,
    identified: Identify,
    system_actor: Actor,
    clock: FakeClock,
) -> None:
    sim = new_line()
    card = a_card_number()
    record = identified(sim, document_number=card)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ended", actor=system_actor)
    clock.advance(seconds=days(400))
    client = staff_client("compliance")
    run_url = reverse("backoffice:compliance-retention-run")

    dry = client.post(run_url, {"mode": "dry_run"})
    assert dry.status_code == 303
    report = page(client.get(dry["Location"]))
    assert 'data-dry-run="1"' in report
    assert 'data-records-erased="1"' in report
    assert f'data-target="identification_record" data-target-id="{record.pk}"' in report
    assert IdentificationRecord.objects.get(pk=record.pk).erased_at is None

    erase = client.post(run_url, {"mode": "erase"})
    assert erase.status_code == 303
    assert IdentificationRecord.objects.get(pk=record.pk).erased_at is not None
    runs = page(client.get(reverse("backoffice:compliance-retention")))
    assert runs.count("data-run-id=") == 2
    assert 'data-dry-run="0"' in runs
    assert card not in runs
    assert_strict_csp_markup(runs)


def test_an_unknown_retention_mode_runs_nothing(staff_client: StaffClientFactory) -> None:
    response = staff_client("compliance").post(
        reverse("backoffice:compliance-retention-run"), {"mode": "everything"}
    )
    assert response.status_code == 303
    assert not RetentionRun.objects.exists()


def test_an_erased_identification_shows_as_erased_in_the_history(
    staff_client: StaffClientFactory,
    new_line: NewLine,
    identified: Identify,
    system_actor: Actor,
    clock: FakeClock,
) -> None:
    sim = new_line()
    old = identified(sim, document_number=CARD)
    clock.advance(seconds=days(1))
    identified(sim)
    clock.advance(seconds=days(400))
    identification_retention_run(actor=system_actor)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    compliance_scan(actor=system_actor)
    case = ComplianceCase.objects.get(sim=sim)
    html = page(
        staff_client("compliance").get(
            reverse("backoffice:compliance-case", kwargs={"case_id": case.pk})
        )
    )
    row = html.split(f'data-record-id="{old.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="compliance-erased"' in row
    assert "458" not in row
