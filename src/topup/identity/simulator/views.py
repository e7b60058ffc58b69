"""The simulator's authorization endpoint: the page a customer sees at the identity provider."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from topup.identity.simulator import services
from topup.identity.simulator.forms import ConsentForm
from topup.identity.simulator.personas import PERSONAS, Persona
from topup.identity.simulator.services import MAX_PARAMETER_LENGTH, SimulatorRequestInvalid

# The response attribute django-csp's middleware reads (what its csp_update decorator sets).
CSP_UPDATE = "_csp_update"
METHOD_NAMES = {
    "online_eid": _("eID card with a card reader"),
    "certified_service": _("itsme"),
}

# The authorization request's parameters (OpenID Connect Core §3.1.2.1) that the page uses.
_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "acr_values",
)


@never_cache
@require_http_methods(["GET", "POST"])
def simulator_authorize(request: HttpRequest) -> HttpResponse:
    params = {name: request.GET.get(name, "")[:MAX_PARAMETER_LENGTH] for name in _PARAMETERS}
    try:
        services.simulator_client_check(
            client_id=params["client_id"], redirect_uri=params["redirect_uri"]
        )
    except SimulatorRequestInvalid as error:
        # Never redirect to an address the client did not register: say so on the page.
        return render(request, "identity/invalid_request.html", {"error": error.error}, status=400)
    method = services.simulator_method_for_acr(params["acr_values"])
    if params["response_type"] != "code" or not params["nonce"] or method is None:
        return _back(params, {"error": "invalid_request"})
    if request.method != "POST":
        return _page(request, params, method=method, form=ConsentForm())
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _page(request, params, method=method, form=form)
    if form.cleaned_data["action"] == ConsentForm.REFUSE:
        return _back(params, {"error": "access_denied"})
    code = services.simulator_code_issue(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        nonce=params["nonce"],
        method=method,
        persona_key=form.cleaned_data["persona"],
    )
    return _back(params, {"code": code})


def _page(
    request: HttpRequest, params: dict[str, str], *, method: str, form: ConsentForm
) -> HttpResponse:
    personas: list[tuple[Persona, str]] = [
        (persona, persona.eid_card_number[-4:]) for persona in PERSONAS
    ]
    response = render(
        request,
        "identity/authorize.html",
        {"form": form, "method_name": METHOD_NAMES[method], "personas": personas},
    )
    # The answer redirects to the client's site: the form may lead there (CSP form-action).
    parts = urlsplit(params["redirect_uri"])
    setattr(response, CSP_UPDATE, {"form-action": ["'self'", f"{parts.scheme}://{parts.netloc}"]})
    return response


def _back(params: dict[str, str], answer: dict[str, str]) -> HttpResponseRedirect:
    if params["state"]:
        answer = {**answer, "state": params["state"]}
    response = HttpResponseRedirect(
        services.simulator_redirect_url(redirect_uri=params["redirect_uri"], params=answer)
    )
    response.status_code = 303
    return response
