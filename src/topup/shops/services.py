"""The one writer of the shop counter: staff, shop accounts, counter sales, voids, till closes.

Every service takes the agent's `StaffMembership` (from `staff_membership_get`), re-reads it
(a deactivated agent is refused at once), acts only on that shop's data and audits as the
agent: `Actor(actor_type="staff", actor_id=<user id>)`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import structlog
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models import Q

from topup.audit.services import Actor, audit_record
from topup.catalog.models import Shop, ShopKind
from topup.catalog.selectors import channel_get
from topup.core import clock
from topup.core.errors import ApplicationError, InvariantViolation, NotFound
from topup.ledger import domain
from topup.ledger.errors import InsufficientBalance
from topup.ledger.models import Account, AccountKind, Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import (
    ledger_account_open,
    ledger_provider_clearing_account,
    ledger_reverse,
    ledger_system_account,
    ledger_transfer,
)
from topup.payments.terminal.port import (
    TERMINAL_PROVIDER,
    TerminalCharge,
    TerminalChargeRequest,
    TerminalOutcome,
)
from topup.payments.terminal.simulator import terminal_get
from topup.shops.errors import (
    CardDeclined,
    CreditAlreadySpent,
    CustomerHasNoSubscriber,
    FloatExhausted,
    InvalidAmount,
    NoCashDrawer,
    OtherShop,
    StaffNotAssigned,
    TerminalError,
    VoidApprovalNotAllowed,
    VoidNotPossible,
    VoidReasonMissing,
    VoidWindowClosed,
)
from topup.shops.models import (
    CounterSale,
    CounterVoid,
    ShopAccounts,
    StaffMembership,
    StaffRole,
    TillClose,
    VoidStatus,
)
from topup.subscribers.errors import InvalidDocumentNumber
from topup.subscribers.models import (
    IdentificationMethod,
    IdentificationRecord,
    IdentificationStatus,
    LineHold,
    Sim,
)
from topup.subscribers.numbers import (
    InvalidStructuredReference,
    format_structured_reference,
    normalize_structured_reference,
)
from topup.subscribers.selectors import sim_get_by_msisdn, sim_masked_name, sim_topup_check
from topup.subscribers.services import identification_record_create, identification_refusal_record
from topup.topups.limits import topup_amount_check
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import (
    TopupRequest,
    topup_order_create,
    topup_order_settle_at_counter,
    topup_order_void_at_counter,
)

logger = structlog.get_logger(__name__)

VOID_WINDOW_S = 15 * 60  # a counter sale can be voided this long after its credit
MAX_SALE_CENTS = 1_000_000  # € 10,000: far above any channel limit; a typo guard
MAX_COUNT_CENTS = 10_000_000  # € 100,000 counted in one till
MAX_FLOAT_TOPUP_CENTS = 10_000_000
MAX_REASON_LENGTH = 255
BASIS_POINTS_PER_UNIT = 10_000
DEFAULT_PARTNER_COMMISSION_BASIS_POINTS = 300  # 3 %
SHOP_CHANNEL = "shop"
BANK_PROVIDER = "bank"  # partners pay their float into the operator's bank account


@dataclass(frozen=True)
class ShopHold:
    reason: str
    opened_at: dt.datetime


@dataclass(frozen=True)
class ShopCustomer:
    """What an agent may see of a line: nothing that is not needed at the counter."""

    msisdn: str
    masked_name: str
    sim_status: str
    identified: bool
    last_identification_method: str
    last_identified_at: dt.datetime | None
    last_document_number_masked: str
    open_holds: tuple[ShopHold, ...]


# --- staff ---------------------------------------------------------------------------------


def _actor(membership: StaffMembership) -> Actor:
    return Actor(actor_type="staff", actor_id=str(membership.user_id))


def staff_membership_get(*, user: AbstractBaseUser | AnonymousUser) -> StaffMembership:
    """The active shop membership of a logged-in, active user; StaffNotAssigned otherwise."""
    if not user.is_authenticated or not user.is_active:
        raise StaffNotAssigned()
    membership = (
        StaffMembership.objects.select_related("shop", "user")
        .filter(user_id=user.pk, active=True)
        .first()
    )
    if membership is None:
        raise StaffNotAssigned()
    return membership


def _current(membership: StaffMembership) -> StaffMembership:
    """The membership as stored now: a deactivation takes effect on the next action."""
    current = (
        StaffMembership.objects.select_related("shop", "user")
        .filter(pk=membership.pk, active=True, user__is_active=True)
        .first()
    )
    if current is None:
        raise StaffNotAssigned()
    return current


# --- shop accounts -------------------------------------------------------------------------


def shop_accounts_open(*, shop: Shop) -> ShopAccounts:
    """Open the shop's ledger accounts by its kind; opening again returns the same ones."""
    with transaction.atomic():
        accounts, _created = ShopAccounts.objects.select_for_update().get_or_create(
            shop=shop,
            defaults={
                "commission_basis_points": (
                    DEFAULT_PARTNER_COMMISSION_BASIS_POINTS if shop.kind == ShopKind.PARTNER else 0
                )
            },
        )
        if shop.kind == ShopKind.OPERATOR and accounts.cash_drawer_id is None:
            accounts.cash_drawer = _shop_account(
                shop,
                "cash_drawer",
                "Cash drawer",
                AccountKind.SHOP_CASH_DRAWER,
                domain.AccountType.ASSET,
            )
            accounts.save(update_fields=["cash_drawer"])
        if shop.kind == ShopKind.PARTNER and accounts.float_account_id is None:
            # What the operator owes the partner for value it prepaid: a liability that
            # can never go negative (CHECK + row lock), so a sale cannot exceed the float.
            accounts.float_account = _shop_account(
                shop,
                "float",
                "Partner float",
                AccountKind.PARTNER_FLOAT,
                domain.AccountType.LIABILITY,
            )
            accounts.save(update_fields=["float_account"])
    return accounts


def _safe_account(shop: Shop) -> Account:
    """Cash taken out of the drawer at the till close, waiting for the bank deposit."""
    return _shop_account(
        shop, "safe", "Safe / bank deposit", AccountKind.SHOP_CASH_DRAWER, domain.AccountType.ASSET
    )


def _shop_account(
    shop: Shop, suffix: str, name: str, kind: AccountKind, account_type: domain.AccountType
) -> Account:
    """One of the shop's own tracked ledger accounts (opening it again returns the same one)."""
    return ledger_account_open(
        code=f"shop:{shop.code}:{suffix}",
        name=f"{name} {shop.name}",
        kind=kind,
        account_type=account_type,
        owner_type="shop",
        owner_id=shop.code,
    )


def _float_topup_key(*, shop: Shop, reference: str) -> str:
    """The ledger key of a float payment: a structured reference in its 12-digit form.

    A payment recorded before references were normalised keeps its key as it was typed: when
    such a transfer exists under the typed text or a usual written form, that key is reused,
    so recording the same payment again (written either way) still posts it once.
    """
    prefix = f"shops:float:{shop.code}:"
    if not reference:
        return prefix + uuid.uuid4().hex
    try:
        digits = normalize_structured_reference(reference)
    except InvalidStructuredReference:
        return prefix + reference
    written = format_structured_reference(digits)  # +++090/9337/55493+++
    legacy = [reference, written, written.strip("+"), written.replace("+", "*")]
    stored = (
        Transfer.objects.filter(idempotency_key__in=[prefix + form for form in legacy])
        .order_by("id")
        .values_list("idempotency_key", flat=True)
        .first()
    )
    return stored or prefix + digits


def shop_float_topup(
    *, shop: Shop, amount_cents: int, actor: Actor, idempotency_key: str = ""
) -> ShopAccounts:
    """The partner paid the operator: the bank receives it, the partner's float grows.

    `idempotency_key` names the payment (e.g. the bank statement line) so that recording it
    twice posts it once; without one every call is a new payment. A Belgian structured
    reference names the payment however it is written (`+++090/9337/55493+++` = `090933755493`).
    """
    _amount_checked(amount_cents, maximum=MAX_FLOAT_TOPUP_CENTS)
    if shop.kind != ShopKind.PARTNER:
        raise NoCashDrawer(details={"shop": shop.code})
    with transaction.atomic():
        accounts = shop_accounts_open(shop=shop)
        assert accounts.float_account is not None
        transfer = ledger_transfer(
            idempotency_key=_float_topup_key(shop=shop, reference=idempotency_key),
            debit=ledger_provider_clearing_account(provider=BANK_PROVIDER),
            credit=accounts.float_account,
            amount_cents=amount_cents,
            reason_code="partner_float_topup",
            actor=actor,
            memo=f"float paid by partner {shop.code}",
        )
        audit_record(
            actor=actor,
            action="shops.float_topup",
            object_type="catalog.shop",
            object_id=shop.code,
            data={"amount_cents": amount_cents, "transfer_id": transfer.pk},
        )
    return accounts


# --- looking up and identifying a customer -------------------------------------------------


def shop_customer_lookup(*, membership: StaffMembership, msisdn: str) -> ShopCustomer:
    """What the agent needs to serve the customer; the look is audited as `pii.view`."""
    membership = _current(membership)
    sim = sim_get_by_msisdn(msisdn=msisdn)
    last = (
        IdentificationRecord.objects.filter(sim=sim, status=IdentificationStatus.ACCEPTED)
        .order_by("-verified_at", "-id")
        .first()
    )
    holds = tuple(
        ShopHold(reason=hold.reason, opened_at=hold.detected_at)
        for hold in LineHold.objects.filter(sim=sim, cleared_at__isnull=True).order_by(
            "detected_at"
        )
    )
    audit_record(
        actor=_actor(membership),
        action="pii.view",
        object_type="subscribers.sim",
        object_id=sim.pk,
        reason="shop counter: serving the customer",
        data={"shop": membership.shop.code, "fields": "masked_name,identification,holds"},
    )
    return ShopCustomer(
        msisdn=sim.msisdn,
        masked_name=sim_masked_name(sim=sim),
        sim_status=sim.status,
        identified=last is not None,
        last_identification_method=last.method if last else "",
        last_identified_at=last.verified_at if last else None,
        last_document_number_masked=last.document_number_masked if last else "",
        open_holds=holds,
    )


def shop_identify_customer(
    *,
    membership: StaffMembership,
    msisdn: str,
    document_type: str,
    document_number: str,
    issuing_country: str,
    expires_on: dt.date | None,
    national_register_number: str | None,
) -> IdentificationRecord:
    """The agent has seen the customer's original document: record it, activate, clear holds.

    `document_number` is the typed number, or the MRZ lines of a passport or ID card; the
    check digits, the MRZ and the expiry are verified by `identification_record_create`.

    No copy of the document is ever kept, in any shop: the law forbids a partner shop to
    keep one, and the operator does not need one. The evidence is only a text reference
    (which shop, which agent, when) to the original the agent looked at; this service takes
    no image or scan, and the MRZ (name, birth date) is read for its number and dropped.
    """
    membership = _current(membership)
    shop = membership.shop
    sim = sim_get_by_msisdn(msisdn=msisdn)
    if sim.subscriber is None:
        raise CustomerHasNoSubscriber(details={"msisdn": sim.msisdn})
    actor = _actor(membership)
    now = clock.now()
    evidence_reference = (
        f"original seen at {shop.kind} shop {shop.code} "
        f"by staff {membership.user_id} at {now:%Y-%m-%dT%H:%M:%SZ}"
    )
    try:
        with transaction.atomic():
            record = identification_record_create(
                sim=sim,
                subscriber=sim.subscriber,
                method=IdentificationMethod.SHOP_DOCUMENT,
                document_type=document_type,
                issuing_country=issuing_country,
                document_number=document_number,
                national_register_number=national_register_number or None,
                document_expires_on=expires_on,
                verified_by=membership.user.get_username(),
                evidence_reference=evidence_reference,
                shop=shop,
                actor=actor,
            )
            audit_record(
                actor=actor,
                action="shops.customer_identified",
                object_type="subscribers.identification_record",
                object_id=record.pk,
                reason=f"original {record.document_type} checked at the counter of {shop.code}",
                data={"shop": shop.code, "sim_id": sim.pk, "status": record.status},
            )
    except InvalidDocumentNumber as error:
        # The attempt rolled back; a failed check digit is kept (not the number) for compliance.
        identification_refusal_record(
            sim=sim,
            reason=str(error.details.get("reason", "")),
            document_type=document_type,
            actor=actor,
        )
        raise
    return record


# --- counter sales -------------------------------------------------------------------------


def _amount_checked(amount_cents: int, *, maximum: int) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise InvalidAmount()
    if not 0 < amount_cents <= maximum:
        raise InvalidAmount()


def commission_cents(*, amount_cents: int, basis_points: int) -> int:
    """A partner's commission in integer cents, rounded half up (3 % of € 0.50 is 2 cents).

    Exact arithmetic on integers: amount * basis points / 10,000, with a half cent or more
    rounded up and less rounded down. Never a float.
    """
    return (amount_cents * basis_points + BASIS_POINTS_PER_UNIT // 2) // BASIS_POINTS_PER_UNIT


def _scope(shop: Shop) -> str:
    return f"shop:{shop.code}"


def _request(
    *, shop: Shop, sim: Sim, amount_cents: int, method: str, key: str, instrument_hash: str
) -> TopupRequest:
    return TopupRequest(
        msisdn=sim.msisdn,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method=method,
        channel=SHOP_CHANNEL,
        idempotency_scope=_scope(shop),
        idempotency_key=key,
        requested_by=None,
        language=sim.subscriber.preferred_language if sim.subscriber else "en",
        instrument_hash=instrument_hash,
        settlement="counter",
    )


@dataclass(frozen=True)
class _Payment:
    method: str  # "cash" or "card"
    funding: Account
    instrument_masked: str = ""
    instrument_hash: str = ""
    terminal_token: str = ""


def _commission_post(
    *, accounts: ShopAccounts, order: TopupOrder, actor: Actor
) -> tuple[int, Transfer | None]:
    if accounts.float_account is None or accounts.commission_basis_points == 0:
        return 0, None
    amount = commission_cents(
        amount_cents=order.amount_cents, basis_points=accounts.commission_basis_points
    )
    if amount == 0:
        return 0, None
    transfer = ledger_transfer(
        idempotency_key=f"shops:commission:{order.pk}",
        debit=ledger_system_account(name="commissions"),
        credit=accounts.float_account,
        amount_cents=amount,
        reason_code="partner_commission",
        actor=actor,
        memo=f"commission {accounts.commission_basis_points} bp on top-up {order.pk}",
    )
    return amount, transfer


def _sale_record(
    *, membership: StaffMembership, sim: Sim, amount_cents: int, key: str, payment: _Payment
) -> TopupOrder:
    """Create, pay and credit the order, post the commission, keep the sale: all or nothing."""
    shop = membership.shop
    actor = _actor(membership)
    request = _request(
        shop=shop,
        sim=sim,
        amount_cents=amount_cents,
        method=payment.method,
        key=key,
        instrument_hash=payment.instrument_hash,
    )
    with transaction.atomic():
        order = topup_order_create(request=request, actor=actor)
        if CounterSale.objects.filter(order=order).exists():
            return order  # a retried request: already sold
        accounts = shop_accounts_open(shop=shop)
        order = topup_order_settle_at_counter(
            order_id=order.pk,
            funding=payment.funding,
            instrument_masked=payment.instrument_masked,
            instrument_hash=payment.instrument_hash,
            actor=actor,
        )
        if order.status != TopupStatus.CREDITED:
            raise InvariantViolation(f"counter sale {order.pk} is {order.status}, not credited")
        commission, commission_transfer = _commission_post(
            accounts=accounts, order=order, actor=actor
        )
        CounterSale.objects.create(
            order=order,
            shop=shop,
            agent_id=membership.user_id,
            payment_method=payment.method,
            amount_cents=order.amount_cents,
            funding_account=payment.funding,
            terminal_token=payment.terminal_token,
            commission_cents=commission,
            commission_transfer=commission_transfer,
            sold_at=order.credited_at or clock.now(),
        )
        audit_record(
            actor=actor,
            action="shops.counter_sale",
            object_type="topup.order",
            object_id=str(order.pk),
            data={
                "shop": shop.code,
                "payment_method": payment.method,
                "amount_cents": order.amount_cents,
                "commission_cents": commission,
            },
        )
    return order


def _cash_funding(membership: StaffMembership, amount_cents: int) -> Account:
    accounts = shop_accounts_open(shop=membership.shop)
    if accounts.cash_drawer is not None:
        return accounts.cash_drawer
    assert accounts.float_account is not None
    if ledger_account_balance_cents(account=accounts.float_account) < amount_cents:
        raise FloatExhausted()  # the ledger checks again under the row lock
    return accounts.float_account


def shop_topup_cash(
    *, membership: StaffMembership, msisdn: str, amount_cents: int, idempotency_key: str
) -> TopupOrder:
    """Cash at the counter: into the operator shop's drawer, or out of the partner's float.

    A partner shop keeps the cash and spends the value it prepaid to the operator (its float),
    which earns it a commission on the same transaction. A sale above the float is refused
    and nothing is written.
    """
    _amount_checked(amount_cents, maximum=MAX_SALE_CENTS)
    membership = _current(membership)
    sim = sim_get_by_msisdn(msisdn=msisdn)
    funding = _cash_funding(membership, amount_cents)
    payment = _Payment(method="cash", funding=funding)
    try:
        return _sale_record(
            membership=membership,
            sim=sim,
            amount_cents=amount_cents,
            key=idempotency_key,
            payment=payment,
        )
    except InsufficientBalance as error:
        if funding.kind != AccountKind.PARTNER_FLOAT:
            raise
        raise FloatExhausted() from error


def _sale_replay(*, membership: StaffMembership, key: str) -> TopupOrder | None:
    sale = (
        CounterSale.objects.select_related("order")
        .filter(shop=membership.shop, order__idempotency_key=key)
        .first()
    )
    return sale.order if sale else None


def _card_precheck(sim: Sim, amount_cents: int) -> None:
    """Refuse before the card is charged what the order would refuse after."""
    channel = channel_get(code=SHOP_CHANNEL)
    if channel is None:
        raise NotFound(details={"channel": SHOP_CHANNEL})
    sim_topup_check(sim=sim)
    topup_amount_check(channel=channel, sim=sim, amount_cents=amount_cents)


def _card_refused(membership: StaffMembership, charge: TerminalCharge, amount_cents: int) -> None:
    audit_record(
        actor=_actor(membership),
        action="shops.card_refused",
        object_type="catalog.shop",
        object_id=membership.shop.code,
        reason=charge.failure_code,
        data={
            "amount_cents": amount_cents,
            "outcome": charge.outcome.value,
            "instrument_masked": charge.instrument_masked,
        },
    )


def shop_topup_card(
    *,
    membership: StaffMembership,
    msisdn: str,
    amount_cents: int,
    card_number: str,
    idempotency_key: str,
) -> TopupOrder:
    """A card on the shop's terminal; the platform keeps its token, masked number, fingerprint.

    The card is charged first, the order created after: a declined card creates no order
    (the refusal is audited), so there is nothing to clean up and the agent simply retries,
    with the same or another card, or cash. The terminal charges a reference once, so a
    retried request never charges twice; if the order is still refused after the charge
    (a limit reached meanwhile), the charge is refunded on the terminal.
    """
    _amount_checked(amount_cents, maximum=MAX_SALE_CENTS)
    membership = _current(membership)
    sim = sim_get_by_msisdn(msisdn=msisdn)
    if _sale_replay(membership=membership, key=idempotency_key) is not None:
        payment = _Payment(method="card", funding=_terminal_clearing())
        return _sale_record(
            membership=membership,
            sim=sim,
            amount_cents=amount_cents,
            key=idempotency_key,
            payment=payment,
        )
    _card_precheck(sim, amount_cents)
    terminal = terminal_get()
    charge = terminal.charge(
        TerminalChargeRequest(
            reference=f"{_scope(membership.shop)}:{idempotency_key}",
            amount_cents=amount_cents,
            currency="EUR",
            card_number=card_number,
        )
    )
    if charge.outcome != TerminalOutcome.APPROVED:
        _card_refused(membership, charge, amount_cents)
        if charge.outcome == TerminalOutcome.ERROR:
            raise TerminalError(details={"reason": "terminal_error"})
        raise CardDeclined(details={"reason": charge.failure_code})
    payment = _Payment(
        method="card",
        funding=_terminal_clearing(),
        instrument_masked=charge.instrument_masked,
        instrument_hash=charge.instrument_fingerprint,
        terminal_token=charge.token,
    )
    try:
        return _sale_record(
            membership=membership,
            sim=sim,
            amount_cents=amount_cents,
            key=idempotency_key,
            payment=payment,
        )
    except ApplicationError:
        terminal.refund(token=charge.token, amount_cents=amount_cents)
        raise


def _terminal_clearing() -> Account:
    return ledger_provider_clearing_account(provider=TERMINAL_PROVIDER)


# --- voids ---------------------------------------------------------------------------------


def _sale_of_shop(membership: StaffMembership, order_id: uuid.UUID | str) -> CounterSale:
    """The counter sale of this order, if this shop sold it: another shop's is refused."""
    try:
        order_uuid = uuid.UUID(str(order_id))
    except ValueError as error:
        raise NotFound() from error
    sale = CounterSale.objects.select_related("order").filter(order_id=order_uuid).first()
    if sale is None:
        raise NotFound()
    if sale.shop_id != membership.shop_id:
        raise OtherShop()
    return sale


def _window_check(order: TopupOrder) -> None:
    if order.status != TopupStatus.CREDITED or order.credited_at is None:
        raise VoidNotPossible(details={"status": order.status})
    if clock.now() - order.credited_at > dt.timedelta(seconds=VOID_WINDOW_S):
        raise VoidWindowClosed()


def shop_void_request(
    *, membership: StaffMembership, order_id: uuid.UUID | str, reason: str
) -> CounterVoid:
    """Ask to undo a sale of this shop, within VOID_WINDOW_S of its credit; a manager executes."""
    membership = _current(membership)
    reason = reason.strip()[:MAX_REASON_LENGTH]
    if not reason:
        raise VoidReasonMissing()
    sale = _sale_of_shop(membership, order_id)
    _window_check(sale.order)
    with transaction.atomic():
        TopupOrder.objects.select_for_update().get(pk=sale.order_id)
        live = CounterVoid.objects.filter(order_id=sale.order_id).exclude(status=VoidStatus.REFUSED)
        if live.exists():
            raise VoidNotPossible(details={"reason": "already_requested"})
        void = CounterVoid.objects.create(
            order_id=sale.order_id,
            shop=membership.shop,
            reason=reason,
            requested_by_id=membership.user_id,
            requested_at=clock.now(),
        )
        audit_record(
            actor=_actor(membership),
            action="shops.void_requested",
            object_type="shops.counter_void",
            object_id=void.pk,
            reason=reason,
            data={"order_id": str(sale.order_id), "shop": membership.shop.code},
        )
    return void


def _void_locked(membership: StaffMembership, void_id: int) -> CounterVoid:
    void = CounterVoid.objects.select_for_update().filter(pk=void_id).first()
    if void is None:
        raise NotFound()
    if void.shop_id != membership.shop_id:
        raise OtherShop()
    return void


def _approver_check(membership: StaffMembership, void: CounterVoid) -> None:
    """Four eyes: a manager of the shop who did not ask. Agents and partners never approve."""
    if membership.role != StaffRole.SHOP_MANAGER:
        raise VoidApprovalNotAllowed()
    if void.requested_by_id == membership.user_id:
        raise VoidApprovalNotAllowed()


def _void_postings(*, void: CounterVoid, sale: CounterSale, actor: Actor) -> Transfer:
    """Take the credit back from the line and the commission back from the partner."""
    order = sale.order
    if order.credit_transfer is None:
        raise InvariantViolation(f"credited order {order.pk} has no credit transfer")
    try:
        reversal = ledger_reverse(
            transfer=order.credit_transfer,
            idempotency_key=f"shops:void:{void.pk}:credit",
            reason_code="counter_void",
            actor=actor,
            memo=f"counter void {void.pk}: {void.reason}"[:255],
        )
    except InsufficientBalance as error:
        raise CreditAlreadySpent() from error
    if sale.commission_transfer is not None:
        ledger_reverse(
            transfer=sale.commission_transfer,
            idempotency_key=f"shops:void:{void.pk}:commission",
            reason_code="counter_void_commission",
            actor=actor,
            memo=f"commission of voided sale {order.pk}",
        )
    return reversal


def shop_void_approve(*, membership: StaffMembership, void_id: int) -> CounterVoid:
    """Execute a requested void: the credit and any commission are reversed in the ledger.

    Refused cleanly (nothing written) when the customer has already spent the credit, or the
    window has closed. The order keeps its status: marking it refunded needs a topups service
    (`topup_order_void_at_counter`), which the topups package owns. A card sale is refunded
    on the terminal once the reversal is committed.
    """
    membership = _current(membership)
    actor = _actor(membership)
    with transaction.atomic():
        void = _void_locked(membership, void_id)
        _approver_check(membership, void)
        if void.status == VoidStatus.EXECUTED:
            return void
        if void.status != VoidStatus.REQUESTED:
            raise VoidNotPossible(details={"status": void.status})
        sale = CounterSale.objects.select_related("order__credit_transfer").get(
            order_id=void.order_id
        )
        _window_check(sale.order)
        void.reversal_transfer = _void_postings(void=void, sale=sale, actor=actor)
        topup_order_void_at_counter(
            order_id=sale.order_id, reversal=void.reversal_transfer, actor=actor
        )
        void.status = VoidStatus.EXECUTED
        void.approved_by_id = membership.user_id
        void.approved_at = clock.now()
        void.save(update_fields=["reversal_transfer", "status", "approved_by", "approved_at"])
        audit_record(
            actor=actor,
            action="shops.void_executed",
            object_type="shops.counter_void",
            object_id=void.pk,
            reason=void.reason,
            data={
                "order_id": str(void.order_id),
                "amount_cents": sale.amount_cents,
                "reversal_transfer_id": void.reversal_transfer.pk,
            },
        )
        if sale.terminal_token:
            token, amount = sale.terminal_token, sale.amount_cents
            transaction.on_commit(lambda: terminal_get().refund(token=token, amount_cents=amount))
    return void


def shop_void_refuse(*, membership: StaffMembership, void_id: int, reason: str) -> CounterVoid:
    """A manager of the shop turns the request down, or its requester withdraws it."""
    membership = _current(membership)
    with transaction.atomic():
        void = _void_locked(membership, void_id)
        is_requester = void.requested_by_id == membership.user_id
        if membership.role != StaffRole.SHOP_MANAGER and not is_requester:
            raise VoidApprovalNotAllowed()
        if void.status != VoidStatus.REQUESTED:
            raise VoidNotPossible(details={"status": void.status})
        void.status = VoidStatus.REFUSED
        void.approved_by_id = membership.user_id
        void.approved_at = clock.now()
        void.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(
            actor=_actor(membership),
            action="shops.void_refused",
            object_type="shops.counter_void",
            object_id=void.pk,
            reason=reason.strip()[:MAX_REASON_LENGTH],
            data={"order_id": str(void.order_id)},
        )
    return void


# --- till close ----------------------------------------------------------------------------


def _counted_checked(counted_cents: int) -> None:
    if isinstance(counted_cents, bool) or not isinstance(counted_cents, int):
        raise InvalidAmount()
    if not 0 <= counted_cents <= MAX_COUNT_CENTS:
        raise InvalidAmount()


def _difference_post(
    *, drawer: Account, difference_cents: int, number: str, actor: Actor
) -> Transfer | None:
    """Bring the drawer to the count: cash over is income, cash short an expense."""
    if difference_cents == 0:
        return None
    over = difference_cents > 0
    return ledger_transfer(
        idempotency_key=f"shops:till:{number}:difference",
        debit=drawer if over else ledger_system_account(name="cash_short"),
        credit=ledger_system_account(name="cash_over") if over else drawer,
        amount_cents=abs(difference_cents),
        reason_code="till_cash_over" if over else "till_cash_short",
        actor=actor,
        memo=f"till close {number}",
    )


def shop_till_close(*, membership: StaffMembership, counted_cents: int) -> TillClose:
    """Close the day: post the difference, move the counted cash to the safe, drawer at zero.

    The drawer row is locked first, so a cash sale either lands before the close (and is in
    the expected amount) or after it (and starts the next day).
    """
    membership = _current(membership)
    _counted_checked(counted_cents)
    shop = membership.shop
    if shop.kind != ShopKind.OPERATOR:
        raise NoCashDrawer(details={"shop": shop.code})
    drawer = shop_accounts_open(shop=shop).cash_drawer
    assert drawer is not None
    actor = _actor(membership)
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=drawer.pk).first()
        expected = ledger_account_balance_cents(account=drawer)
        number = f"Z-{shop.code}-{TillClose.objects.filter(shop=shop).count() + 1:06d}"
        difference = counted_cents - expected
        difference_transfer = _difference_post(
            drawer=drawer, difference_cents=difference, number=number, actor=actor
        )
        deposit = None
        if counted_cents:
            deposit = ledger_transfer(
                idempotency_key=f"shops:till:{number}:deposit",
                debit=_safe_account(shop),
                credit=drawer,
                amount_cents=counted_cents,
                reason_code="till_deposit",
                actor=actor,
                memo=f"till close {number}: cash to the safe",
            )
        close = TillClose.objects.create(
            shop=shop,
            agent_id=membership.user_id,
            closed_at=clock.now(),
            expected_cents=expected,
            counted_cents=counted_cents,
            difference_cents=difference,
            difference_transfer=difference_transfer,
            deposit_transfer=deposit,
            z_report_number=number,
        )
        audit_record(
            actor=actor,
            action="shops.till_closed",
            object_type="shops.till_close",
            object_id=close.pk,
            reason=f"difference {difference} cents" if difference else "",
            data={"shop": shop.code, "expected_cents": expected, "counted_cents": counted_cents},
        )
    return close


# --- demo ----------------------------------------------------------------------------------

# username, password, shop, role. agent.brussels comes from the demo loader (same password).
DEMO_SHOP_STAFF = (
    ("agent.brussels", "demo-agent-2026", "bru-central", StaffRole.SHOP_AGENT),
    ("manager.brussels", "demo-manager-2026", "bru-central", StaffRole.SHOP_MANAGER),
    ("partner.antwerp", "demo-partner-2026", "antwerp-night", StaffRole.PARTNER_RETAILER),
)
DEMO_PARTNER_FLOAT_CENTS = 50_000


def shop_demo_setup() -> None:
    """Memberships for the demo staff, the demo shops' accounts and a € 500 partner float.

    Idempotent: users and memberships that exist are kept, the float is posted once.
    """
    from django.contrib.auth.models import Group

    actor = Actor.system("demo-loader")
    with transaction.atomic():
        for username, password, shop_code, role in DEMO_SHOP_STAFF:
            shop = Shop.objects.get(code=shop_code)
            user = User.objects.filter(username=username).first()
            if user is None:
                # Shop staff use the console, never the admin site (a partner is another company).
                user = User.objects.create_user(username=username, password=password)
            group, _created = Group.objects.get_or_create(name=str(role))
            user.groups.add(group)
            StaffMembership.objects.get_or_create(
                user=user, defaults={"shop": shop, "role": role, "active": True}
            )
        for shop in Shop.objects.filter(Q(code="bru-central") | Q(code="antwerp-night")):
            shop_accounts_open(shop=shop)
        partner = Shop.objects.get(code="antwerp-night")
        shop_float_topup(
            shop=partner,
            amount_cents=DEMO_PARTNER_FLOAT_CENTS,
            actor=actor,
            idempotency_key="demo-opening-float",
        )
