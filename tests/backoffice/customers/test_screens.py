"""The customer screens through HTTP: find, the one screen of a line, correct, re-identify,
a top-up's timeline and resending its receipt — per role, audited, without leaking."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.backoffice.conftest import StaffClientFactory
from tests.backoffice.customers.conftest import (
    COMPLIANCE,
    CS,
    DECLINED,
    ENGLISH,
    FINANCE,
    OPS,
    page_text,
    paid_order,
    urls_in,
)
from tests.support import sms_code_on_handset
from tests.topups.conftest import IDENTIFIED, CreateOrder, Pay
from topup.audit.models import AuditEvent
from topup.ledger.verify import ledger_verify
from topup.messaging.models import SmsMessage
from topup.messaging.services import otp_request
from topup.subscribers.models import LineHold, Sim, Subscriber, SubscriberCorrection
from topup.topups.models import TopupOrder

pytestmark = pytest.mark.django_db

FIND = "/backoffice/customers/"
DOCUMENT_NUMBER = "591191706458"  # Jan Peeters' eID card number in the demo data
# However the number might leak into a URL: E.164 digits, national digits, or typed with spaces.
NUMBER_FORMS = ("470000001", "0470000001", "0470 00 00 01", "0470%2000", "%2B32470")


def _detail(sim: Sim) -> str:
    return reverse("backoffice:customer-detail", kwargs={"sim_id": sim.pk})


def _assert_no_number_in(urls: list[str]) -> None:
    for url in urls:
        for form in NUMBER_FORMS:
            assert form not in url, f"the phone number is in the URL {url}"


# --- Find ---------------------------------------------------------------------------------------


def test_the_search_page_opens_for_customer_service(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    response = staff_client(CS).get(FIND, headers=ENGLISH)
    assert response.status_code == 200
    assert 'name="query"' in page_text(response)
    assert 'method="post"' in page_text(response)


@pytest.mark.parametrize("typed", ["0470 00 00 01", "+32 470 00 00 01", "0032470000001"])
def test_a_number_in_any_format_leads_to_the_line_by_its_id(
    line: Sim, staff_client: StaffClientFactory, typed: str
) -> None:
    response = staff_client(CS).post(FIND, {"query": typed})
    assert response.status_code == 303
    assert response["Location"] == _detail(line)
    _assert_no_number_in([response["Location"]])


def test_the_iccid_a_receipt_and_a_topup_id_lead_to_the_line(
    line: Sim, credited: TopupOrder, staff_client: StaffClientFactory
) -> None:
    client = staff_client(CS)
    assert credited.receipt_number is not None
    for typed in (line.iccid, credited.receipt_number.lower(), str(credited.pk)):
        response = client.post(FIND, {"query": typed})
        assert (response.status_code, response["Location"]) == (303, _detail(line)), typed


@pytest.mark.parametrize(
    ("typed", "status", "code_words"),
    [
        ("0470 99 99 99", 404, "No line of this operator matches"),
        ("Jan Peeters", 422, "Type a mobile number"),
        ("", 422, "This field is required"),
    ],
)
def test_an_unknown_or_unreadable_reference_is_answered_on_the_page(
    line: Sim, staff_client: StaffClientFactory, typed: str, status: int, code_words: str
) -> None:
    response = staff_client(CS).post(FIND, {"query": typed}, headers=ENGLISH)
    assert response.status_code == status
    assert code_words in page_text(response)
    assert 'data-error-for="query"' in page_text(response)


# --- The one screen of a line -------------------------------------------------------------------


def test_the_line_screen_shows_the_customer_and_records_the_look(
    line: Sim, credited: TopupOrder, staff_client: StaffClientFactory
) -> None:
    response = staff_client(CS).get(_detail(line), headers=ENGLISH)

    assert response.status_code == 200
    html = page_text(response)
    for fact in ("0470 00 00 01", "Jan", "Peeters", "Nederlands", "€15.00", "*********458"):
        assert fact in html, fact
    assert credited.receipt_number is not None and credited.receipt_number in html
    assert reverse("backoffice:customer-topup", kwargs={"order_id": credited.pk}) in html
    assert DOCUMENT_NUMBER not in html
    viewed = AuditEvent.objects.get(action="customer.viewed")
    assert (viewed.actor_type, viewed.object_type, viewed.object_id) == (
        "staff",
        "subscribers.sim",
        str(line.pk),
    )
    assert viewed.actor_id == str(response.wsgi_request.user.pk)
    _assert_no_number_in(urls_in(html))


def test_login_codes_are_never_shown_queued_or_sent(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    otp_request(msisdn=IDENTIFIED, client_ip="192.0.2.1", sender_name="TopupDemo", language="en")
    queued = SmsMessage.objects.get(msisdn=IDENTIFIED, purpose="otp")
    match = re.search(r"\d{6}", queued.body)
    assert match is not None, "the queued SMS holds the code until the gateway has it"
    client = staff_client(CS)

    html_while_queued = page_text(client.get(_detail(line), headers=ENGLISH))
    code = sms_code_on_handset(IDENTIFIED)  # delivered now
    html_once_sent = page_text(client.get(_detail(line), headers=ENGLISH))

    assert code == match.group()
    for html in (html_while_queued, html_once_sent):
        assert "Your TopupDemo code: ••••••" in html
        assert code not in html


def test_compliance_sees_the_line_but_no_correction_forms(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    response = staff_client(COMPLIANCE).get(_detail(line), headers=ENGLISH)
    assert response.status_code == 200
    html = page_text(response)
    assert "Peeters" in html
    assert reverse("backoffice:customer-correct", kwargs={"sim_id": line.pk}) not in html
    assert reverse("backoffice:customer-reidentify", kwargs={"sim_id": line.pk}) not in html


@pytest.mark.parametrize("role", [FINANCE, OPS, None])
def test_other_roles_are_refused_and_nothing_is_recorded(
    line: Sim, staff_client: StaffClientFactory, role: str | None
) -> None:
    client = staff_client(role)
    for response in (client.get(_detail(line)), client.post(FIND, {"query": "0470000001"})):
        assert response.status_code == 403
        assert "Peeters" not in page_text(response)
    assert not AuditEvent.objects.filter(action="customer.viewed").exists()


def test_anonymous_is_sent_to_log_in(line: Sim, client: Client) -> None:
    response = client.get(_detail(line))
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login?next=")


def test_an_unknown_line_is_not_found(line: Sim, staff_client: StaffClientFactory) -> None:
    response = staff_client(CS).get(reverse("backoffice:customer-detail", kwargs={"sim_id": 999}))
    assert response.status_code == 404
    assert 'data-error-code="customer_not_found"' in page_text(response)


# --- Correct and re-identify --------------------------------------------------------------------


def _correct_url(sim: Sim) -> str:
    return reverse("backoffice:customer-correct", kwargs={"sim_id": sim.pk})


def test_customer_service_corrects_the_name_and_the_old_one_stays_visible(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    client = staff_client(CS)
    response = client.post(
        _correct_url(line),
        {
            "correct-first_name": "Jan",
            "correct-last_name": "Peters",
            "correct-reason": "Misspelt at the shop; checked against the eID",
        },
    )
    assert response.status_code == 303
    assert response["Location"] == _detail(line)
    assert Subscriber.objects.get(sims=line).last_name == "Peters"
    html = page_text(client.get(response["Location"], headers=ENGLISH))
    assert "The name is corrected" in html
    assert "Jan Peeters" in html and "Jan Peters" in html  # before and after, in the history
    corrected = AuditEvent.objects.get(action="subscriber.corrected")
    assert corrected.actor_id == str(response.wsgi_request.user.pk)


def test_a_correction_without_a_reason_is_refused_next_to_the_field(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    response = staff_client(CS).post(
        _correct_url(line),
        {"correct-first_name": "Jan", "correct-last_name": "Peters", "correct-reason": " "},
        headers=ENGLISH,
    )
    assert response.status_code == 422
    assert 'data-error-for="reason"' in page_text(response)
    assert not SubscriberCorrection.objects.exists()
    assert Subscriber.objects.get(sims=line).last_name == "Peeters"


def test_compliance_may_not_correct(line: Sim, staff_client: StaffClientFactory) -> None:
    response = staff_client(COMPLIANCE).post(
        _correct_url(line),
        {"correct-first_name": "X", "correct-last_name": "Y", "correct-reason": "because"},
    )
    assert response.status_code == 403
    assert Subscriber.objects.get(sims=line).last_name == "Peeters"


def test_a_reidentification_request_holds_the_line(
    line: Sim, staff_client: StaffClientFactory
) -> None:
    client = staff_client(CS)
    response = client.post(
        reverse("backoffice:customer-reidentify", kwargs={"sim_id": line.pk}),
        {"reidentify-reason": "Customer reports a SIM swap they did not ask for"},
    )
    assert response.status_code == 303
    assert LineHold.objects.filter(sim=line, cleared_at__isnull=True).count() == 1
    html = page_text(client.get(_detail(line), headers=ENGLISH))
    assert "This line is on hold" in html
    assert "Customer reports a SIM swap they did not ask for" in html


# --- A top-up and its receipt -------------------------------------------------------------------


def _topup_url(order: TopupOrder) -> str:
    return reverse("backoffice:customer-topup", kwargs={"order_id": order.pk})


def _resend_url(order: TopupOrder) -> str:
    return reverse("backoffice:customer-receipt-resend", kwargs={"order_id": order.pk})


def test_the_topup_page_shows_its_timeline_and_records_the_look(
    credited: TopupOrder, staff_client: StaffClientFactory
) -> None:
    response = staff_client(COMPLIANCE).get(_topup_url(credited), headers=ENGLISH)
    assert response.status_code == 200
    html = page_text(response)
    for kind in ("transition", "payment_call", "ledger", "sms"):
        assert f'data-kind="{kind}"' in html, kind
    assert "paid → credited" in html
    assert _resend_url(credited) not in html  # compliance may look, not resend
    viewed = AuditEvent.objects.get(action="customer.viewed")
    assert (viewed.object_type, viewed.object_id) == ("topup.order", str(credited.pk))
    _assert_no_number_in(urls_in(html))


def test_customer_service_resends_the_receipt(
    credited: TopupOrder, staff_client: StaffClientFactory
) -> None:
    client = staff_client(CS)
    assert _resend_url(credited) in page_text(client.get(_topup_url(credited)))

    response = client.post(_resend_url(credited))

    assert response.status_code == 303
    assert response["Location"] == _topup_url(credited)
    receipts = SmsMessage.objects.filter(msisdn=IDENTIFIED, purpose="receipt")
    assert receipts.count() == 2
    assert AuditEvent.objects.filter(action="receipt.resent").count() == 1
    assert ledger_verify() == []
    html = page_text(client.get(response["Location"], headers=ENGLISH))
    assert "The receipt is sent again to 0470 •• •• 01" in html


def test_a_failed_topup_has_no_receipt_to_resend(
    create_order: CreateOrder, pay: Pay, staff_client: StaffClientFactory
) -> None:
    failed = paid_order(create_order, pay, DECLINED)
    client = staff_client(CS)
    assert _resend_url(failed) not in page_text(client.get(_topup_url(failed)))

    response = client.post(_resend_url(failed), headers=ENGLISH)

    assert response.status_code == 409
    assert 'data-error-code="receipt_resend_not_allowed"' in page_text(response)
    assert not SmsMessage.objects.filter(purpose="receipt").exists()


@pytest.mark.parametrize("role", [COMPLIANCE, FINANCE, OPS])
def test_only_customer_service_may_resend(
    credited: TopupOrder, staff_client: StaffClientFactory, role: str
) -> None:
    response = staff_client(role).post(_resend_url(credited))
    assert response.status_code == 403
    assert SmsMessage.objects.filter(purpose="receipt").count() == 1


def test_an_unknown_topup_is_not_found(line: Sim, staff_client: StaffClientFactory) -> None:
    response = staff_client(CS).get(
        reverse(
            "backoffice:customer-topup", kwargs={"order_id": "00000000-0000-0000-0000-0000000000aa"}
        )
    )
    assert response.status_code == 404
