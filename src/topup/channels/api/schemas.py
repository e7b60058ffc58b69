"""The API's request and response bodies. Amounts travel as strings ("10.00"), never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from topup.core.money import CURRENCY, format_amount


class MoneyOut(Schema):
    amount: str = Field(examples=["5.00"])
    currency: str = Field(examples=["EUR"])

    @classmethod
    def of(cls, amount_cents: int, currency: str = CURRENCY) -> MoneyOut:
        return cls(amount=format_amount(amount_cents), currency=currency)


class OtpRequestIn(Schema):
    msisdn: str = Field(min_length=1, max_length=32, examples=["0470 00 00 01"])


class OtpSentOut(Schema):
    sent_at: datetime
    resend_available_at: datetime
    expires_at: datetime
    sender_name: str = Field(description="The SMS sender to look for in your messages.")


class TokenRequestIn(Schema):
    msisdn: str = Field(min_length=1, max_length=32, examples=["+32470000001"])
    code: str = Field(min_length=1, max_length=16, examples=["123456"])


class TokenOut(Schema):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class MeOut(Schema):
    msisdn: str
    status: str
    balance: MoneyOut
    promotional_balance: MoneyOut
    validity_until: date | None


class TopupCreateIn(Schema):
    msisdn: str = Field(min_length=1, max_length=32, examples=["0470 00 00 01"])
    amount: str = Field(min_length=1, max_length=16, examples=["10.00"])
    currency: str = Field(default=CURRENCY, min_length=1, max_length=3, examples=["EUR"])
    payment_method: str = Field(min_length=1, max_length=32, examples=["card"])


class PaymentOut(Schema):
    method: str
    redirect_url: str | None = Field(
        description="Send the customer here to pay; null once the payment is no longer open."
    )


class TopupOut(Schema):
    id: UUID
    status: str = Field(examples=["awaiting_payment", "credited", "failed"])
    failure_reason: str | None = Field(examples=["insufficient_funds", "card_declined"])
    msisdn: str = Field(description="Masked for anonymous callers.")
    amount: MoneyOut
    channel: str
    payment: PaymentOut
    receipt_number: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    credited_at: datetime | None


class TopupPageOut(Schema):
    items: list[TopupOut]
    limit: int
    offset: int


class WebhookReceivedOut(Schema):
    received: bool = True


class PingOut(Schema):
    ok: bool = True
