"""The disputes screens per role: the queue, a case, resolving, and the second pair of eyes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django import forms
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.backoffice.conftest import StaffClientFactory, StaffUserFactory
from topup.audit.models import AuditEvent
from topup.channels.backoffice.disputes.forms import euro_amount_cents
from topup.core.money import MAX_AMOUNT_CENTS
from topup.disputes.models import Dispute, DisputeOutcome, DisputeStatus
from topup.ledger.verify import ledger_verify
from topup.messaging.models import SmsPurpose
from topup.messaging.selectors import sms_outbox_list

from .conftest import CUSTOMER, ReportFactory

CS, COMPLIANCE, FINANCE, OPS = "customer_service", "compliance", "finance", "operations"
QUEUE = "/backoffice/disputes/"


def _detail(dispute: Dispute) -> str:
    return f"/backoffice/disputes/{dispute.pk}"


def _resolve(client: Client, dispute: Dispute, **data: str) -> tuple[int, str]:
    response = client.post(f"{_detail(dispute)}/resolve", data)
    return response.status_code, response.content.decode()


def _approve(client: Client, dispute: Dispute) -> tuple[int, str]:
    response = client.post(f"{_detail(dispute)}/approve")
    return response.status_code, response.content.decode()


def _field_error(body: str, field: str) -> str:
    match = re.search(rf'<p class="error"[^>]*data-error-for="{field}">([^<]*)</p>', body)
    return match.group(1) if match else ""


# --- Who may do what -------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login_page(client: Client, report: ReportFactory) -> None:
    dispute = report()

    for response in (
        client.get(QUEUE),
        client.get(_detail(dispute)),
        client.post(f"{_detail(dispute)}/resolve", {"outcome": "reject", "note": "No."}),
        client.post(f"{_detail(dispute)}/approve"),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/backoffice/login?next=")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


@pytest.mark.parametrize("role", [OPS, COMPLIANCE, None])
def test_roles_without_the_permission_get_403(
    role: str | None, staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()
    client = staff_client(role)

    assert client.get(QUEUE).status_code == 403
    assert client.get(_detail(dispute)).status_code == 403
    status, _body = _resolve(client, dispute, outcome="reject", note="No.")
    assert status == 403
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_finance_approves_but_does_not_resolve(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()
    finance = staff_client(FINANCE)

    assert finance.get(_detail(dispute)).status_code == 200
    status, _body = _resolve(finance, dispute, outcome="goodwill", amount="5", note="Sorry.")
    assert status == 403
    assert 'action="/backoffice/disputes/' not in finance.get(_detail(dispute)).content.decode()


# --- The queue and a case --------------------------------------------------------------------


def test_the_queue_shows_what_needs_someone_masked(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    open_one = report(amount_cents=1500)
    closed = report(amount_cents=2500)
    cs = staff_client(CS)
    _resolve(cs, closed, outcome="reject", note="One payment only.")

    default = cs.get(QUEUE).content.decode()
    rejected = cs.get(QUEUE, {"status": "rejected"}).content.decode()
    everything = cs.get(QUEUE, {"status": "all"}).content.decode()
    nonsense = cs.get(QUEUE, {"status": "nonsense"}).content.decode()

    assert f'id="dispute-{open_one.pk}"' in default and f'id="dispute-{closed.pk}"' not in default
    assert f">{open_one.order.receipt_number}<" in default
    assert "€15.00" in default
    assert "I paid but did not receive the credit" in default
    assert "0470 •• •• 02" in default and "0470 00 00 02" not in default
    assert f'id="dispute-{closed.pk}"' in rejected and f'id="dispute-{open_one.pk}"' not in rejected
    assert f'id="dispute-{closed.pk}"' in everything and f'id="dispute-{open_one.pk}"' in everything
    assert f'id="dispute-{open_one.pk}"' in nonsense and f'id="dispute-{closed.pk}"' not in nonsense


def test_a_case_shows_the_order_the_message_and_the_threshold_and_is_audited(
    staff_user: StaffUserFactory, report: ReportFactory
) -> None:
    dispute = report(message="Paid twice <script>alert(1)</script>")
    agent = staff_user(CS)
    client = Client()
    client.force_login(agent)

    response = client.get(_detail(dispute))

    body = response.content.decode()
    assert response.status_code == 200
    assert f">{dispute.order.receipt_number}<" in body
    assert "€50.00" in body and "Online" in body and "Visa / Mastercard" in body
    assert dispute.order.payment_instrument_masked in body
    assert "0470 •• •• 02" in body and "0470 00 00 02" not in body
    assert "Paid twice &lt;script&gt;" in body  # the customer's words, escaped
    assert re.search(
        r'<tr data-event="opened">.*?<td>Customer</td><td>Opened by the customer</td>', body
    )
    assert "above €20.00 is only proposed" in body
    viewed = AuditEvent.objects.filter(action="dispute.viewed", object_id=str(dispute.pk))
    assert [(e.actor_type, e.actor_id) for e in viewed] == [("staff", str(agent.pk))]


def test_an_unknown_case_is_a_404_page(staff_client: StaffClientFactory, demo: None) -> None:
    response = staff_client(CS).get("/backoffice/disputes/987654")

    assert response.status_code == 404
    assert 'data-error-code="dispute_not_found"' in response.content.decode()


# --- Resolving -------------------------------------------------------------------------------


def test_goodwill_below_the_threshold_is_given_at_once(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()
    cs = staff_client(CS)

    response = cs.post(
        f"{_detail(dispute)}/resolve", {"outcome": "goodwill", "amount": "5,50", "note": "Sorry."}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == _detail(dispute)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert (dispute.outcome, dispute.amount_cents) == (DisputeOutcome.GOODWILL, 550)
    assert dispute.transfer_id is not None
    assert ledger_verify() == []
    after = cs.get(_detail(dispute)).content.decode()
    assert 'data-dispute-outcome="goodwill"' in after and "€5.50" in after


def test_a_refund_above_the_threshold_needs_a_second_person(
    staff_client: StaffClientFactory,
    staff_user: StaffUserFactory,
    report: ReportFactory,
    drain_worker: Callable[[], int],
) -> None:
    dispute = report(amount_cents=5000)
    proposer = staff_user(CS)
    cs = Client()
    cs.force_login(proposer)
    other_cs, finance = staff_client(CS), staff_client(FINANCE)

    status, _body = _resolve(cs, dispute, outcome="refund", amount="25.50", note="Double charge.")
    dispute.refresh_from_db()
    assert status == 303
    assert dispute.status == DisputeStatus.AWAITING_APPROVAL
    assert (dispute.amount_cents, dispute.transfer_id) == (2550, None)  # nothing moved yet

    # The proposer sees no approve button, and posting anyway is refused with the code.
    own_view = cs.get(_detail(dispute)).content.decode()
    assert f'action="{_detail(dispute)}/approve"' not in own_view
    status, body = _approve(cs, dispute)
    assert status == 403
    assert 'data-error-code="four_eyes_same_staff"' in body
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.AWAITING_APPROVAL

    # Any other holder of the approval permission sees the button and who proposed; finance
    # approves.
    assert f'action="{_detail(dispute)}/approve"' in other_cs.get(_detail(dispute)).content.decode()
    finance_view = finance.get(_detail(dispute)).content.decode()
    assert f'action="{_detail(dispute)}/approve"' in finance_view
    assert f"<dd>{proposer.username}, " in finance_view  # who proposed it
    status, _body = _approve(finance, dispute)
    dispute.refresh_from_db()
    assert status == 303
    assert dispute.status == DisputeStatus.RESOLVED
    assert dispute.transfer_id is not None and dispute.provider_refund_id
    assert ledger_verify() == []
    drain_worker()
    sms = [m.body for m in sms_outbox_list(msisdn=CUSTOMER) if m.purpose == SmsPurpose.DISPUTE]
    # The refund SMS names the refunded amount in the customer's language (this line: zh-hans).
    assert any("25.50" in body or "25,50" in body for body in sms), sms


def test_deciding_again_replaces_a_proposal(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()
    cs = staff_client(CS)
    _resolve(cs, dispute, outcome="refund", amount="30", note="")

    status, _body = _resolve(cs, dispute, outcome="refund", amount="10", note="Partial.")

    dispute.refresh_from_db()
    assert status == 303
    assert (dispute.status, dispute.amount_cents) == (DisputeStatus.RESOLVED, 1000)
    assert ledger_verify() == []


@pytest.mark.parametrize("typed", ["12.505", "12,505", "-5", "1.234,56", "1 000", "12e2", "€12"])
def test_amounts_are_parsed_strictly(
    typed: str, staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()

    status, body = _resolve(staff_client(CS), dispute, outcome="goodwill", amount=typed, note="x")

    assert status == 422
    assert "at most two decimals" in _field_error(body, "amount")
    assert 'aria-invalid="true"' in body
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome) == (DisputeStatus.OPEN, "")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"outcome": "reject", "amount": "", "note": ""}, "note", "reason for rejecting"),
        ({"outcome": "refund", "amount": "", "note": "x"}, "amount", "at least 0.01"),
        ({"outcome": "refund", "amount": "0", "note": "x"}, "amount", "at least 0.01"),
        ({"outcome": "upgrade", "amount": "1", "note": "x"}, "outcome", "valid choice"),
    ],
)
def test_refusals_are_shown_at_their_field(
    data: dict[str, str],
    field: str,
    words: str,
    staff_client: StaffClientFactory,
    report: ReportFactory,
) -> None:
    dispute = report()

    status, body = _resolve(staff_client(CS), dispute, **data)

    assert status == 422
    assert words in _field_error(body, field)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_goodwill_above_the_top_up_is_refused_with_its_code(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report(amount_cents=1000)

    status, body = _resolve(staff_client(CS), dispute, outcome="goodwill", amount="10,01", note="")

    assert status == 422
    assert 'data-error-code="goodwill_above_order_amount"' in body
    assert 'value="10,01"' in body  # what was typed stays in the field


def test_a_decided_case_is_not_decided_differently(
    staff_client: StaffClientFactory, report: ReportFactory
) -> None:
    dispute = report()
    cs = staff_client(CS)
    _resolve(cs, dispute, outcome="reject", note="One payment only.")

    status, body = _resolve(cs, dispute, outcome="goodwill", amount="5", note="Changed my mind.")

    assert status == 409
    assert 'data-error-code="dispute_already_decided"' in body
    dispute.refresh_from_db()
    assert (dispute.status, dispute.transfer_id) == (DisputeStatus.REJECTED, None)


# --- The euro amount as typed ----------------------------------------------------------------


@given(st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS))
def test_every_amount_reads_back_with_a_comma_or_a_point(cents: int) -> None:
    units, rest = divmod(cents, 100)
    assert euro_amount_cents(f"{units},{rest:02d}") == cents
    assert euro_amount_cents(f"{units}.{rest:02d}") == cents
    if rest == 0:
        assert euro_amount_cents(str(units)) == cents


@given(st.integers(min_value=0, max_value=99_999), st.from_regex(r"\A[0-9]{3,6}\Z"))
def test_more_than_two_decimals_is_refused(units: int, decimals: str) -> None:
    for separator in (",", "."):
        with pytest.raises(forms.ValidationError):
            euro_amount_cents(f"{units}{separator}{decimals}")
