"""The one writer of subscribers, lines, identification records, holds and access tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from topup.audit.services import Actor, audit_record
from topup.catalog.models import Brand, Shop
from topup.core import clock
from topup.core.errors import JsonValue, ValidationFailed
from topup.core.prepared import HotQuery, hot_query
from topup.core.rawsql import model_columns, models_from_rows
from topup.ledger import domain
from topup.ledger.models import Account, AccountKind
from topup.ledger.services import ledger_account_open
from topup.subscribers import crypto, numbers
from topup.subscribers.documents import ValidatedDocument, document_validate
from topup.subscribers.errors import (
    CorrectionChangesNothing,
    CorrectionReasonMissing,
    InvalidAccessToken,
    InvalidIccid,
    InvalidMsisdn,
    LanguageNotOffered,
    LowBalanceAlertOutOfRange,
    SavedNumberExists,
    SavedNumberIsOwn,
    SavedNumberNicknameInvalid,
    SavedNumberNotFound,
    SavedNumbersLimit,
    SimAlreadyExists,
    SimStatusChangeNotAllowed,
    SubscriberNameInvalid,
    SubscriberNotIdentified,
)
from topup.subscribers.models import (
    AccessToken,
    CorrectionField,
    DocumentType,
    HoldReason,
    IdentificationMethod,
    IdentificationRecord,
    IdentificationRefusal,
    IdentificationStatus,
    LineHold,
    ReidentificationRequest,
    SavedNumber,
    Sim,
    SimStatus,
    Subscriber,
    SubscriberCorrection,
)
from topup.subscribers.selectors import (
    identification_record_erasable_fields,
    identity_active_sim_count,
    subscriber_erasable_fields,
)

DEFAULT_MAX_SIMS_PER_IDENTITY = 5
MAX_TOKEN_LENGTH = 128
MAX_REASON_LENGTH = 255
LANGUAGES = ("nl", "fr", "de", "en", "zh-hans")

# Where a line may go from each status; identification alone activates an awaiting line.
SIM_STATUS_CHANGES: dict[str, frozenset[str]] = {
    SimStatus.AWAITING_IDENTIFICATION: frozenset({SimStatus.TERMINATED}),
    SimStatus.ACTIVE: frozenset({SimStatus.SUSPENDED, SimStatus.TERMINATED}),
    SimStatus.SUSPENDED: frozenset({SimStatus.ACTIVE, SimStatus.TERMINATED}),
    SimStatus.TERMINATED: frozenset(),
}
# Methods that rest on an identity document the agent or the eID reader has seen.
DOCUMENT_METHODS: dict[str, frozenset[str]] = {
    IdentificationMethod.SHOP_DOCUMENT: frozenset(DocumentType.values),
    IdentificationMethod.ONLINE_EID: frozenset({DocumentType.BE_EID}),
}


def _refuse_field(field: str) -> ValidationFailed:
    details: dict[str, JsonValue] = {"field": field}
    return ValidationFailed(details=details)


def subscriber_create(
    *, first_name: str, last_name: str, preferred_language: str, actor: Actor
) -> Subscriber:
    language = preferred_language.strip().lower()
    if language not in LANGUAGES:
        raise _refuse_field("preferred_language")
    with transaction.atomic():
        subscriber = Subscriber.objects.create(
            first_name=first_name.strip()[:100],
            last_name=last_name.strip()[:100],
            preferred_language=language,
        )
        audit_record(
            actor=actor,
            action="subscribers.subscriber_created",
            object_type="subscribers.subscriber",
            object_id=subscriber.pk,
        )
    return subscriber


def _msisdn_normalized(msisdn: str) -> str:
    try:
        return numbers.normalize_msisdn(msisdn)
    except numbers.InvalidNumber as error:
        raise InvalidMsisdn() from error


def _iccid_normalized(iccid: str) -> str:
    try:
        return numbers.normalize_iccid(iccid)
    except numbers.InvalidIccid as error:
        raise InvalidIccid() from error


def _line_account_open(*, msisdn: str, kind: AccountKind, suffix: str) -> Account:
    return ledger_account_open(
        code=f"sim:{msisdn}:{suffix}",
        name=f"{msisdn} {suffix} credit",
        kind=kind,
        account_type=domain.AccountType.LIABILITY,
        owner_type="sim",
        owner_id=msisdn,
        balance_tracked=True,
        may_go_negative=False,
    )


def sim_create(
    *, msisdn: str, iccid: str, brand: Brand, subscriber: Subscriber | None, actor: Actor
) -> Sim:
    """A new line awaiting identification, with its paid and promotional credit accounts."""
    e164 = _msisdn_normalized(msisdn)
    iccid_digits = _iccid_normalized(iccid)
    try:
        with transaction.atomic():
            sim = Sim.objects.create(
                msisdn=e164,
                iccid=iccid_digits,
                brand=brand,
                subscriber=subscriber,
                status=SimStatus.AWAITING_IDENTIFICATION,
                paid_account=_line_account_open(
                    msisdn=e164, kind=AccountKind.SUBSCRIBER_PAID, suffix="paid"
                ),
                promo_account=_line_account_open(
                    msisdn=e164, kind=AccountKind.SUBSCRIBER_PROMO, suffix="promo"
                ),
            )
            audit_record(
                actor=actor,
                action="subscribers.sim_created",
                object_type="subscribers.sim",
                object_id=sim.pk,
                data={"brand": brand.code, "status": sim.status},
            )
    except IntegrityError as error:
        raise SimAlreadyExists() from error
    return sim


def _sim_status_set(*, sim: Sim, status: SimStatus, reason: str, actor: Actor) -> None:
    previous = sim.status
    sim.status = status
    sim.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="subscribers.sim_status_changed",
        object_type="subscribers.sim",
        object_id=sim.pk,
        reason=reason,
        data={"from": previous, "to": status.value},
    )


def sim_status_change(*, sim: Sim, status: SimStatus | str, reason: str, actor: Actor) -> Sim:
    """Suspend, reactivate or terminate a line; a terminated line also loses its access tokens."""
    target = SimStatus(status)
    if not reason.strip():
        raise _refuse_field("reason")
    with transaction.atomic():
        locked = Sim.objects.select_for_update().get(pk=sim.pk)
        if locked.status == target:
            return locked
        if target not in SIM_STATUS_CHANGES[locked.status]:
            raise SimStatusChangeNotAllowed(details={"from": locked.status, "to": target.value})
        _sim_status_set(sim=locked, status=target, reason=reason, actor=actor)
        if target == SimStatus.TERMINATED:
            AccessToken.objects.filter(sim=locked, revoked_at__isnull=True).update(
                revoked_at=clock.now()
            )
    sim.status = locked.status
    return locked


def line_hold_open(
    *, sim: Sim, reason: HoldReason | str, details: Mapping[str, JsonValue], actor: Actor
) -> LineHold:
    """Hold top-ups and changes on a line until its user is identified again."""
    hold_reason = HoldReason(reason)
    with transaction.atomic():
        hold = LineHold.objects.create(
            sim=sim, reason=hold_reason, details=dict(details), detected_at=clock.now()
        )
        audit_record(
            actor=actor,
            action="subscribers.line_hold_opened",
            object_type="subscribers.sim",
            object_id=sim.pk,
            reason=hold_reason.value,
            data={"line_hold_id": hold.pk},
        )
    return hold


def reidentification_request(*, sim: Sim, reason: str, actor: Actor) -> ReidentificationRequest:
    """Ask the line's user to identify again; the line is held until they do."""
    if not reason.strip():
        raise _refuse_field("reason")
    with transaction.atomic():
        request = ReidentificationRequest.objects.create(
            sim=sim,
            reason=reason[:MAX_REASON_LENGTH],
            requested_by=actor.label()[:100],
            requested_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="subscribers.reidentification_requested",
            object_type="subscribers.sim",
            object_id=sim.pk,
            reason=reason,
            data={"reidentification_request_id": request.pk},
        )
        line_hold_open(
            sim=sim,
            reason=HoldReason.REIDENTIFICATION,
            details={"reidentification_request_id": request.pk},
            actor=actor,
        )
    return request


@dataclass(frozen=True)
class _ProtectedNumber:
    encrypted: str
    masked: str
    lookup_hash: str


def _protect(value: str, *, lookup_key: str) -> _ProtectedNumber:
    if not value:
        return _ProtectedNumber("", "", "")
    return _ProtectedNumber(
        encrypted=crypto.encrypt_text(value),
        masked=crypto.mask_document_number(value),
        lookup_hash=crypto.lookup_hash(lookup_key),
    )


def _document_for(
    *,
    method: IdentificationMethod,
    document_type: str,
    issuing_country: str,
    document_number: str,
    national_register_number: str | None,
    document_expires_on: dt.date | None,
    evidence_reference: str,
) -> ValidatedDocument | None:
    """The validated document the method rests on; None for methods that need no document."""
    allowed_types = DOCUMENT_METHODS.get(method)
    if allowed_types is not None and document_type not in allowed_types:
        raise _refuse_field("document_type")
    if allowed_types is None and not evidence_reference.strip():
        raise _refuse_field("evidence_reference")
    if not document_type and not document_number:
        return None
    return document_validate(
        document_type=document_type,
        number=document_number,
        issuing_country=issuing_country,
        expires_on=document_expires_on,
        today=timezone.localdate(clock.now()),
        national_register_number=national_register_number,
    )


def _identity_lock(*hashes: str) -> None:
    """Serialise identifications of one identity so the SIM limit holds under concurrency.

    SQLite takes the database write lock for the whole (IMMEDIATE) transaction already.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for value in sorted(h for h in hashes if h):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(value[:15], 16)])


def _policy_anomaly(*, sim: Sim, document_hash: str, register_hash: str) -> str:
    """Why this identification breaks a policy, or "" when it does not."""
    limit = int(getattr(settings, "TOPUP_MAX_SIMS_PER_IDENTITY", DEFAULT_MAX_SIMS_PER_IDENTITY))
    others = identity_active_sim_count(
        document_number_hash=document_hash,
        national_register_number_hash=register_hash,
        excluding=sim,
    )
    if others >= limit:
        return f"max_sims_per_identity: {others} other lines use this identity (limit {limit})"
    return ""


def _record_accepted(
    *, sim: Sim, subscriber: Subscriber, record: IdentificationRecord, actor: Actor
) -> None:
    """Activate an awaiting line, and clear what waited for this identification."""
    now = clock.now()
    if sim.subscriber_id != subscriber.pk:
        sim.subscriber = subscriber
        sim.save(update_fields=["subscriber", "updated_at"])
    if sim.status == SimStatus.AWAITING_IDENTIFICATION:
        _sim_status_set(sim=sim, status=SimStatus.ACTIVE, reason="identified", actor=actor)
    cleared = LineHold.objects.filter(sim=sim, cleared_at__isnull=True).update(
        cleared_at=now, cleared_by=record
    )
    resolved = ReidentificationRequest.objects.filter(sim=sim, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=record
    )
    if cleared or resolved:
        audit_record(
            actor=actor,
            action="subscribers.line_holds_cleared",
            object_type="subscribers.sim",
            object_id=sim.pk,
            data={
                "identification_record_id": record.pk,
                "line_holds_cleared": cleared,
                "reidentifications_resolved": resolved,
            },
        )


def _protected_numbers(
    document: ValidatedDocument | None,
) -> tuple[_ProtectedNumber, _ProtectedNumber]:
    """The document number and the national register number, encrypted, masked and hashed."""
    if document is None:
        return _protect("", lookup_key=""), _protect("", lookup_key="")
    register_number = document.national_register_number or ""
    return (
        _protect(document.number, lookup_key=f"{document.issuing_country}:{document.number}"),
        _protect(register_number, lookup_key=f"nn:{register_number}"),
    )


def _record_store(
    *,
    sim: Sim,
    subscriber: Subscriber,
    method: IdentificationMethod,
    document: ValidatedDocument | None,
    number: _ProtectedNumber,
    register: _ProtectedNumber,
    anomaly: str,
    verified_by: str,
    evidence_reference: str,
    shop: Shop | None,
) -> IdentificationRecord:
    return IdentificationRecord.objects.create(
        sim=sim,
        subscriber=subscriber,
        method=method,
        status=IdentificationStatus.ANOMALY if anomaly else IdentificationStatus.ACCEPTED,
        anomaly=anomaly[:255],
        document_type=document.document_type if document else "",
        issuing_country=document.issuing_country if document else "",
        document_number_encrypted=number.encrypted,
        document_number_masked=number.masked,
        document_number_hash=number.lookup_hash,
        document_expires_on=document.expires_on if document else None,
        national_register_number_encrypted=register.encrypted,
        national_register_number_masked=register.masked,
        national_register_number_hash=register.lookup_hash,
        verified_by=verified_by[:100],
        verified_at=clock.now(),
        shop=shop,
        evidence_reference=evidence_reference[:200],
    )


def identification_record_create(
    *,
    sim: Sim,
    subscriber: Subscriber,
    method: IdentificationMethod | str,
    document_type: DocumentType | str,
    issuing_country: str,
    document_number: str,
    national_register_number: str | None,
    document_expires_on: dt.date | None,
    verified_by: str,
    evidence_reference: str,
    shop: Shop | None,
    actor: Actor,
) -> IdentificationRecord:
    """Record how a line's user was identified. On an anomaly the record is kept with status
    `anomaly` and the line is not activated; otherwise the line is activated and its holds clear.
    """
    identification_method = IdentificationMethod(method)
    document = _document_for(
        method=identification_method,
        document_type=str(document_type),
        issuing_country=issuing_country,
        document_number=document_number,
        national_register_number=national_register_number,
        document_expires_on=document_expires_on,
        evidence_reference=evidence_reference,
    )
    if not verified_by.strip():
        raise _refuse_field("verified_by")
    number, register = _protected_numbers(document)
    with transaction.atomic():
        locked = Sim.objects.select_for_update().get(pk=sim.pk)
        _identity_lock(number.lookup_hash, register.lookup_hash)
        anomaly = _policy_anomaly(
            sim=locked, document_hash=number.lookup_hash, register_hash=register.lookup_hash
        )
        record = _record_store(
            sim=locked,
            subscriber=subscriber,
            method=identification_method,
            document=document,
            number=number,
            register=register,
            anomaly=anomaly,
            verified_by=verified_by,
            evidence_reference=evidence_reference,
            shop=shop,
        )
        if not anomaly:
            _record_accepted(sim=locked, subscriber=subscriber, record=record, actor=actor)
        audit_record(
            actor=actor,
            action="subscribers.identification_recorded",
            object_type="subscribers.identification_record",
            object_id=record.pk,
            reason=anomaly,
            data={"sim_id": locked.pk, "method": record.method, "status": record.status},
        )
    sim.refresh_from_db()
    return record


def identification_document_number_reveal(
    *, record: IdentificationRecord, actor: Actor, reason: str
) -> str:
    """The clear document number, for someone with a stated reason; every look is audited."""
    if not reason.strip():
        raise _refuse_field("reason")
    if not record.document_number_encrypted:
        return ""
    number = crypto.decrypt_text(record.document_number_encrypted)
    audit_record(
        actor=actor,
        action="pii.view",
        object_type="subscribers.identification_record",
        object_id=record.pk,
        reason=reason,
        data={"field": "document_number"},
    )
    return number


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_issue(*, sim: Sim, actor: Actor) -> str:
    """A new bearer token for the line; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        stored = AccessToken.objects.create(
            token_hash=_token_hash(token),
            sim=sim,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.TOPUP_ACCESS_TOKEN_TTL_S),
        )
        audit_record(
            actor=actor,
            action="auth.access_token_issued",
            object_type="subscribers.sim",
            object_id=sim.pk,
            data={"access_token_id": stored.pk},
        )
    return token


def access_token_authenticate(*, token: str) -> Sim:
    """The line a valid token belongs to; unknown, expired and revoked tokens are refused alike."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidAccessToken()
    # Every API request starts here: one statement written once (prepared on PostgreSQL),
    # instead of the ORM compiling a join on every request.
    found = models_from_rows(Sim, _token_sim_query().rows([_token_hash(token), clock.now()]))
    if not found:
        raise InvalidAccessToken()
    return found[0]


@functools.cache
def _token_sim_query() -> HotQuery:
    """The line of a live token (token_hash is unique: at most one row)."""
    return hot_query(
        f"SELECT {model_columns(Sim, 's')} FROM subscribers_accesstoken t"  # noqa: S608 - fixed
        " JOIN subscribers_sim s ON s.id = t.sim_id"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )


def access_token_revoke(*, token: str, actor: Actor | None = None) -> None:
    """Log out: the token stops working at once. Revoking twice, or an unknown token, is a no-op."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return
    with transaction.atomic():
        stored = AccessToken.objects.filter(
            token_hash=_token_hash(token), revoked_at__isnull=True
        ).first()
        if stored is None:
            return
        stored.revoked_at = clock.now()
        stored.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor or Actor(actor_type="subscriber", actor_id=str(stored.sim_id)),
            action="auth.access_token_revoked",
            object_type="subscribers.sim",
            object_id=stored.sim_id,
            data={"access_token_id": stored.pk},
        )


# --- Saved numbers and preferences (the website's settings page) ---------------------------------

MAX_SAVED_NUMBERS_PER_OWNER = 20
MAX_NICKNAME_LENGTH = 40
MAX_LOW_BALANCE_ALERT_CENTS = 10_000  # € 100.00


def _nickname_cleaned(nickname: str) -> str:
    cleaned = " ".join(nickname.split())
    if not 1 <= len(cleaned) <= MAX_NICKNAME_LENGTH:
        raise SavedNumberNicknameInvalid(details={"field": "nickname"})
    return cleaned


def saved_number_add(*, owner: Sim, msisdn: str, nickname: str, actor: Actor) -> SavedNumber:
    """Save a number the owner tops up often; at most 20 per owner, each number once."""
    e164 = _msisdn_normalized(msisdn)
    cleaned_nickname = _nickname_cleaned(nickname)
    if e164 == owner.msisdn:
        raise SavedNumberIsOwn(details={"field": "msisdn"})
    try:
        with transaction.atomic():
            # The owner's row is the lock that keeps two concurrent adds under the limit.
            Sim.objects.select_for_update().filter(pk=owner.pk).first()
            saved = SavedNumber.objects.filter(owner=owner)
            if saved.filter(msisdn=e164).exists():
                raise SavedNumberExists(details={"field": "msisdn"})
            if saved.count() >= MAX_SAVED_NUMBERS_PER_OWNER:
                raise SavedNumbersLimit(details={"limit": MAX_SAVED_NUMBERS_PER_OWNER})
            saved_number = SavedNumber.objects.create(
                owner=owner, msisdn=e164, nickname=cleaned_nickname
            )
            audit_record(
                actor=actor,
                action="subscribers.saved_number_added",
                object_type="subscribers.sim",
                object_id=owner.pk,
                data={"saved_number_id": saved_number.pk},
            )
    except IntegrityError as error:
        raise SavedNumberExists(details={"field": "msisdn"}) from error
    return saved_number


def saved_number_delete(*, owner: Sim, saved_number_id: int, actor: Actor) -> None:
    """Forget a saved number; another owner's number is not found, as if it did not exist."""
    with transaction.atomic():
        deleted, _by_model = SavedNumber.objects.filter(owner=owner, pk=saved_number_id).delete()
        if not deleted:
            raise SavedNumberNotFound(details={"id": saved_number_id})
        audit_record(
            actor=actor,
            action="subscribers.saved_number_deleted",
            object_type="subscribers.sim",
            object_id=owner.pk,
            data={"saved_number_id": saved_number_id},
        )


def subscriber_preferences_update(
    *, sim: Sim, preferred_language: str, low_balance_alert_cents: int, actor: Actor
) -> Subscriber:
    """The account language (website, SMS, receipts) and the low-balance alert threshold."""
    language = preferred_language.strip().lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise LanguageNotOffered(details={"field": "preferred_language"})
    if not 0 <= low_balance_alert_cents <= MAX_LOW_BALANCE_ALERT_CENTS:
        raise LowBalanceAlertOutOfRange(details={"field": "low_balance_alert_cents"})
    if sim.subscriber_id is None:
        raise SubscriberNotIdentified()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=sim.subscriber_id)
        previous: dict[str, JsonValue] = {
            "preferred_language": subscriber.preferred_language,
            "low_balance_alert_cents": subscriber.low_balance_alert_cents,
        }
        subscriber.preferred_language = language
        subscriber.low_balance_alert_cents = low_balance_alert_cents
        subscriber.save(update_fields=["preferred_language", "low_balance_alert_cents"])
        audit_record(
            actor=actor,
            action="subscribers.preferences_updated",
            object_type="subscribers.subscriber",
            object_id=subscriber.pk,
            data={
                "from": previous,
                "to": {
                    "preferred_language": language,
                    "low_balance_alert_cents": low_balance_alert_cents,
                },
            },
        )
    sim.subscriber = subscriber
    return subscriber


# --- Corrections by customer service ---------------------------------------------------------

MAX_NAME_LENGTH = 100


def _name_cleaned(name: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_LENGTH:
        raise SubscriberNameInvalid(details={"field": "name"})
    return cleaned


def subscriber_details_correct(
    *, sim: Sim, first_name: str, last_name: str, reason: str, actor: Actor
) -> SubscriberCorrection:
    """Correct the name on record of the line's subscriber, keeping the old value in the history.

    A correction is a verified change (the staff member checked it against the document or the
    identification evidence): it never replaces identifying the line again.
    """
    new_names = {"first_name": _name_cleaned(first_name), "last_name": _name_cleaned(last_name)}
    if not new_names["first_name"] and not new_names["last_name"]:
        raise SubscriberNameInvalid(details={"field": "name"})
    reason = " ".join(reason.split())[:MAX_REASON_LENGTH]
    if not reason:
        raise CorrectionReasonMissing(details={"field": "reason"})
    if sim.subscriber_id is None:
        raise SubscriberNotIdentified()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=sim.subscriber_id)
        old_names: dict[str, JsonValue] = {
            "first_name": subscriber.first_name,
            "last_name": subscriber.last_name,
        }
        if old_names == new_names:
            raise CorrectionChangesNothing()
        subscriber.first_name = new_names["first_name"]
        subscriber.last_name = new_names["last_name"]
        subscriber.save(update_fields=["first_name", "last_name"])
        correction = SubscriberCorrection.objects.create(
            subscriber=subscriber,
            field=CorrectionField.NAME,
            old_value=old_names,
            new_value=dict(new_names),
            reason=reason,
            corrected_by=actor.label()[:100],
            corrected_at=clock.now(),
        )
        changed: list[JsonValue] = [key for key in new_names if old_names[key] != new_names[key]]
        audit_record(
            actor=actor,
            action="subscriber.corrected",
            object_type="subscribers.subscriber",
            object_id=subscriber.pk,
            reason=reason,
            data={"correction_id": correction.pk, "sim_id": sim.pk, "fields": changed},
        )
    sim.subscriber = subscriber
    return correction


# --- Check-digit refusals, and erasure when the retention period is over -----------------------

# The validator's reasons that mean a check digit failed (topup.subscribers.documents).
CHECK_DIGIT_REASONS = frozenset({"check_digits", "mrz_check_digits", "national_register_number"})
# What an erased masked number shows instead: the fact that there was a number, nothing of it.
ERASED_MARKER = "[erased]"


def identification_refusal_record(
    *, sim: Sim, reason: str, document_type: str, actor: Actor
) -> IdentificationRefusal | None:
    """Keep the fact (not the number) that a document number failed its check digits.

    Call it after the refused attempt's transaction rolled back. Other refusals (format, expiry)
    are not kept: compliance reviews only repeated check-digit failures on one line.
    """
    if reason not in CHECK_DIGIT_REASONS:
        return None
    with transaction.atomic():
        refusal = IdentificationRefusal.objects.create(
            sim=sim,
            reason=reason,
            document_type=document_type if document_type in DocumentType.values else "",
            refused_by=actor.label()[:100],
            refused_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="subscribers.identification_refused",
            object_type="subscribers.sim",
            object_id=sim.pk,
            reason=reason,
            data={"identification_refusal_id": refusal.pk, "document_type": refusal.document_type},
        )
    return refusal


def identification_record_erase(
    *, record: IdentificationRecord, basis: str, actor: Actor
) -> list[str] | None:
    """Erase a record's document numbers, their hashes, the expiry, country and evidence; keep
    method, status, date and verifier. The fields erased, or None when it was erased already."""
    with transaction.atomic():
        locked = (
            IdentificationRecord.objects.select_for_update()
            .filter(pk=record.pk, erased_at__isnull=True)
            .first()
        )
        if locked is None:
            return None
        fields = identification_record_erasable_fields(record=locked)
        locked.document_number_encrypted = ""
        locked.document_number_hash = ""
        locked.document_number_masked = ERASED_MARKER if locked.document_number_masked else ""
        locked.national_register_number_encrypted = ""
        locked.national_register_number_hash = ""
        locked.national_register_number_masked = (
            ERASED_MARKER if locked.national_register_number_masked else ""
        )
        locked.document_expires_on = None
        locked.issuing_country = ""
        locked.evidence_reference = ""
        locked.erased_at = clock.now()
        locked.save()
        erased: list[JsonValue] = list(fields)
        audit_record(
            actor=actor,
            action="identification.erased",
            object_type="subscribers.identification_record",
            object_id=locked.pk,
            reason=basis,
            data={"sim_id": locked.sim_id, "fields": erased},
        )
    record.refresh_from_db()
    return fields


def subscriber_personal_data_erase(*, subscriber: Subscriber, actor: Actor) -> list[str] | None:
    """Erase the names (and the names in past corrections) of a subscriber whose lines are all
    gone. The fields erased, or None when it was erased already."""
    with transaction.atomic():
        locked = (
            Subscriber.objects.select_for_update()
            .filter(pk=subscriber.pk, erased_at__isnull=True)
            .first()
        )
        if locked is None:
            return None
        fields = subscriber_erasable_fields(subscriber=locked)
        locked.first_name = ""
        locked.last_name = ""
        locked.erased_at = clock.now()
        locked.save(update_fields=["first_name", "last_name", "erased_at"])
        SubscriberCorrection.objects.filter(subscriber=locked).update(old_value={}, new_value={})
        erased: list[JsonValue] = list(fields)
        audit_record(
            actor=actor,
            action="subscriber.erased",
            object_type="subscribers.subscriber",
            object_id=locked.pk,
            reason="all lines terminated",
            data={"fields": erased},
        )
    subscriber.refresh_from_db()
    return fields
