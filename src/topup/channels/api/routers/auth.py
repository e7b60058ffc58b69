"""Log in with the phone number and a one-time code sent by SMS."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from topup.channels.api.errors import ErrorOut, request_language
from topup.channels.api.schemas import OtpRequestIn, OtpSentOut, TokenOut, TokenRequestIn
from topup.channels.api.security import Caller, client_ip, request_actor
from topup.messaging.services import otp_request, otp_verify
from topup.subscribers.selectors import sim_get_by_msisdn
from topup.subscribers.services import access_token_issue

router = Router(tags=["auth"])


@router.post(
    "/otp",
    response={202: OtpSentOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Send a login code by SMS",
)
def auth_otp_request(request: HttpRequest, payload: OtpRequestIn) -> tuple[int, OtpSentOut]:
    sim = sim_get_by_msisdn(msisdn=payload.msisdn)
    issued = otp_request(
        msisdn=sim.msisdn,
        client_ip=client_ip(request),
        sender_name=sim.brand.sms_sender_name,
        language=request_language(request),
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
        404: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Exchange the SMS code for a Bearer access token",
)
def auth_token_issue(request: HttpRequest, payload: TokenRequestIn) -> TokenOut:
    sim = sim_get_by_msisdn(msisdn=payload.msisdn)
    otp_verify(msisdn=sim.msisdn, code=payload.code, client_ip=client_ip(request))
    token = access_token_issue(sim=sim, actor=request_actor(request, Caller(sim=sim)))
    return TokenOut(access_token=token, expires_in=settings.TOPUP_ACCESS_TOKEN_TTL_S)
