"""Log in with the phone number and a one-time code sent by SMS."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from topup.channels.api.errors import ErrorOut, request_language
from topup.channels.api.schemas import OtpRequestIn, OtpSentOut, TokenOut, TokenRequestIn
from topup.channels.api.security import Caller, client_ip, request_actor
from topup.messaging.services import otp_login_request, otp_login_verify
from topup.subscribers.services import access_token_issue

router = Router(tags=["auth"])


@router.post(
    "/otp",
    response={202: OtpSentOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Send a login code by SMS",
    description=(
        "Any Belgian mobile number gets the same answer, whether or not it is a line of the "
        "platform; only a line is sent a code."
    ),
)
def auth_otp_request(request: HttpRequest, payload: OtpRequestIn) -> tuple[int, OtpSentOut]:
    issued = otp_login_request(
        msisdn=payload.msisdn, client_ip=client_ip(request), language=request_language(request)
    )
    return 202, OtpSentOut(
        sent_at=issued.sent_at,
        resend_available_at=issued.resend_available_at,
        expires_at=issued.expires_at,
        sender_name=issued.sender_name,
    )


@router.post(
    "/token",
    response={
        200: TokenOut,
        400: ErrorOut,
        401: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Exchange the SMS code for a Bearer access token",
)
def auth_token_issue(request: HttpRequest, payload: TokenRequestIn) -> TokenOut:
    sim = otp_login_verify(msisdn=payload.msisdn, code=payload.code, client_ip=client_ip(request))
    token = access_token_issue(sim=sim, actor=request_actor(request, Caller(sim=sim)))
    return TokenOut(access_token=token, expires_in=settings.TOPUP_ACCESS_TOKEN_TTL_S)
