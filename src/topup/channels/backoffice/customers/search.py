"""Finding a line from what a caller reads out: a number, an ICCID, a receipt or a top-up id.

The parser is pure (what kind of reference is this?); the finder asks the registry. Both answer
with one of the platform's errors, which the search page shows next to the field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext_lazy as _

from topup.core.errors import NotFound, ValidationFailed
from topup.subscribers import numbers
from topup.subscribers.errors import InvalidIccid
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder

QUERY_MAX_CHARS = 64
_RECEIPT = re.compile(r"^R\d{8}-\d{8,12}$")
# What an ICCID looks like before its check digit is checked: 89, then 17 or 18 digits.
_ICCID_SHAPE = re.compile(r"^89\d{17,18}$")

QueryKind = Literal["msisdn", "iccid", "receipt", "topup"]


class CustomerQueryUnrecognised(ValidationFailed):
    code = "customer_query_unrecognised"
    default_message = _(
        "Type a mobile number (0470 12 34 56, +32 470 12 34 56 or 0032 470 12 34 56), the SIM "
        "card number (ICCID, 19 or 20 digits), a receipt number (R20260101-00000001) or a top-up "
        "id."
    )


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    default_message = _(
        "No line of this operator matches. Check the reference with the customer; a number may "
        "belong to another operator."
    )


@dataclass(frozen=True)
class CustomerQuery:
    kind: QueryKind
    value: str  # normalised: E.164, ICCID digits, receipt number, or the top-up's UUID


def customer_query_parse(text: str) -> CustomerQuery:
    """Which kind of reference was typed, normalised; refuse text that is none of them."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > QUERY_MAX_CHARS:
        raise CustomerQueryUnrecognised()
    if _RECEIPT.match(cleaned.upper()):
        return CustomerQuery("receipt", cleaned.upper())
    try:
        return CustomerQuery("topup", str(uuid.UUID(cleaned)))
    except ValueError:
        pass
    digits = re.sub(r"[\s-]", "", cleaned)
    if _ICCID_SHAPE.match(digits):
        try:
            return CustomerQuery("iccid", numbers.normalize_iccid(digits))
        except numbers.InvalidIccid as error:
            raise InvalidIccid() from error
    try:
        return CustomerQuery("msisdn", numbers.normalize_msisdn(cleaned))
    except numbers.InvalidNumber as error:
        raise CustomerQueryUnrecognised() from error


def customer_find(*, text: str) -> Sim:
    """The line the reference points to (for a top-up: the line it credited)."""
    query = customer_query_parse(text)
    sim: Sim | None
    if query.kind == "msisdn":
        sim = Sim.objects.filter(msisdn=query.value).first()
    elif query.kind == "iccid":
        sim = Sim.objects.filter(iccid=query.value).first()
    else:
        field = "receipt_number" if query.kind == "receipt" else "pk"
        order = TopupOrder.objects.select_related("sim").filter(**{field: query.value}).first()
        sim = order.sim if order is not None else None
    if sim is None:
        raise CustomerNotFound(details={"kind": query.kind})
    return sim
