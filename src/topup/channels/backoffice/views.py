"""Back-office login (password, plus a TOTP code when two-factor is required), logout, home.

The second factor is typed on the same form (django-otp's OTPAuthenticationForm). Devices are
enrolled by an administrator (admin: TOTP devices), or by the staff member in the shop console
where self-enrolment is allowed (never in production).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_otp.forms import OTPAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from topup.channels.backoffice.auth import backoffice_user
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.core.errors import PermissionDenied
from topup.core.languages import languages_native
from topup.staff.roles import staff_is_backoffice
from topup.staff.two_factor import two_factor_required


class StaffCodeLoginForm(OTPAuthenticationForm):
    """Password and the authenticator app's code on one form; the code is checked against the
    staff member's one TOTP device (django-otp throttles wrong codes per device).
    """

    def _chosen_device(self, user: User) -> TOTPDevice | None:
        return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


class BackofficeLoginView(LoginView):
    template_name = "backoffice/login.html"
    redirect_authenticated_user = False

    def get_form_class(self) -> type[AuthenticationForm]:
        return StaffCodeLoginForm if two_factor_required() else AuthenticationForm

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["two_factor"] = two_factor_required()
        context["backoffice_languages"] = languages_native()
        context["csp_nonce"] = getattr(self.request, "csp_nonce", "")
        return context

    def get_default_redirect_url(self) -> str:
        return "/backoffice/"

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 401
        return response


login = BackofficeLoginView.as_view()


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, gettext("You are logged out."))
    return redirect("backoffice:login")


def home(request: HttpRequest) -> HttpResponse:
    """The areas this staff member may open; the login page for anyone else."""
    user = backoffice_user(request)
    if user is None:
        return redirect("backoffice:login")
    if not staff_is_backoffice(user):
        return backoffice_error(request, PermissionDenied())
    return backoffice_render(request, "backoffice/home.html")
