"""Logging in: local accounts (argon2 hashes, lockout after failed attempts, TOTP as second factor) or a trusted
OIDC/SAML broker in front of the portal that passes the authenticated user in a header (docs/portal.md).

Lockout counts failed attempts per user name (existing or not, so it tells nothing about which names exist):
`LOCKOUT_ATTEMPTS` failures within `LOCKOUT_MINUTES` since the last successful login lock the name for that long,
whatever password is given. A wrong TOTP code counts as a failed attempt, so codes cannot be guessed either.
"""

from __future__ import annotations

import datetime as dt

import pyotp
from django import forms
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend, RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from virkning.portal import audit
from virkning.portal.cpr import seal, unseal
from virkning.portal.models import LoginAttempt, TotpDevice

PENDING = "portal_pending_user"
VERIFIED = "portal_2fa_ok"


# ---- lockout -------------------------------------------------------------------------------------------------------

def is_locked(username: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    last_ok = (LoginAttempt.objects.filter(username=username, success=True).order_by("-at")
               .values_list("at", flat=True).first())
    if last_ok is not None and last_ok > since:
        since = last_ok
    return LoginAttempt.objects.filter(username=username, success=False, at__gt=since).count() >= \
        settings.LOCKOUT_ATTEMPTS


def _failed(request, username: str, why: str) -> None:
    LoginAttempt.objects.create(username=username[:150], ip=audit.client_ip(request), success=False)
    audit.record(request, audit.LOGIN_FAILED, username=username, reason=why)
    if is_locked(username):
        audit.record(request, audit.LOCKED, username=username)


class LockoutModelBackend(ModelBackend):
    """Django's model backend (argon2 hashes, see PASSWORD_HASHERS) that refuses locked user names."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        if is_locked(username):
            if request is not None:
                request.portal_locked = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            _failed(request, username, "password")
            if request is not None and is_locked(username):
                request.portal_locked = True
        return user


# ---- a broker in front (NemLog-in / MitID Erhverv via OIDC or SAML) ------------------------------------------------

class BrokerUserBackend(RemoteUserBackend):
    """Users the broker names must already exist in the portal (an administrator gives them a role first)."""

    create_unknown_user = False


class BrokerHeaderMiddleware(RemoteUserMiddleware):
    """Reads the user from the header named by VIRKNING_PORTAL_REMOTE_USER_HEADER (e.g. HTTP_X_REMOTE_USER).
    The proxy must strip that header from clients' requests; docs/portal.md shows how."""

    force_logout_if_no_header = True

    def __init__(self, get_response):
        self.header = settings.REMOTE_USER_HEADER
        super().__init__(get_response)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    if request is None:
        return
    if getattr(user, "backend", "").endswith("BrokerUserBackend"):
        request.session[VERIFIED] = True  # the broker did the second factor (MitID is itself two-factor)
    LoginAttempt.objects.create(username=user.get_username(), ip=audit.client_ip(request), success=True)
    audit.record(request, audit.LOGIN, user=user, method=getattr(user, "backend", "").rsplit(".", 1)[-1])


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
        audit.record(request, audit.LOGOUT, user=user)


# ---- two-factor ----------------------------------------------------------------------------------------------------

def totp_for(device: TotpDevice) -> pyotp.TOTP:
    return pyotp.TOTP(unseal(device.secret_encrypted))


def verify_code(device: TotpDevice, code: str) -> bool:
    """A 6-digit code of the current 30-second step or its neighbours, each step usable once."""
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return False
    totp = totp_for(device)
    now = timezone.now()
    for drift in (-1, 0, 1):
        at = now + dt.timedelta(seconds=30 * drift)
        counter = totp.timecode(at)
        if counter > device.last_counter and totp.verify(code, for_time=at, valid_window=0):
            device.last_counter = counter
            device.save(update_fields=["last_counter"])
            return True
    return False


EXEMPT = ("/konto/2fa/", "/logout/", "/login/", "/static/")


class TwoFactorMiddleware:
    """With REQUIRE_2FA, a local login without a verified TOTP code reaches only the 2FA pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (settings.REQUIRE_2FA and user is not None and user.is_authenticated
                and not request.session.get(VERIFIED) and not request.path.startswith(EXEMPT)):
            return redirect("portal:totp_setup")
        return self.get_response(request)


# ---- views ---------------------------------------------------------------------------------------------------------

class LoginForm(forms.Form):
    username = forms.CharField(label="Brugernavn", max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label="Adgangskode", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(label="Kode fra din godkendelsesapp", max_length=8,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


LOCKED_MESSAGE = (f"For mange mislykkede forsøg: kontoen er låst i {settings.LOCKOUT_MINUTES} minutter. "
                  "Kontakt administratoren, hvis du har glemt din adgangskode.")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["username"]
        user = auth.authenticate(request, username=name, password=form.cleaned_data["password"])
        if user is None:
            error = LOCKED_MESSAGE if getattr(request, "portal_locked", False) else \
                "Forkert brugernavn eller adgangskode."
        else:
            device = TotpDevice.objects.filter(user=user, confirmed=True).first()
            if device is not None:
                request.session.cycle_key()
                request.session[PENDING] = [user.pk, user.backend]
                return redirect("portal:login_code")
            auth.login(request, user)
            request.session[VERIFIED] = not settings.REQUIRE_2FA
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "portal/login.html", {"form": form, "error": error})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_code_view(request):
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("portal:login")
    user = auth.get_user_model().objects.filter(pk=pending[0], is_active=True).first()
    if user is None:
        request.session.flush()
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        name = user.get_username()
        if is_locked(name):
            request.session.flush()
            return render(request, "portal/login.html", {"form": LoginForm(), "error": LOCKED_MESSAGE})
        if verify_code(user.totp_device, form.cleaned_data["code"]):
            user.backend = pending[1]
            del request.session[PENDING]
            auth.login(request, user)
            request.session[VERIFIED] = True
            return redirect(settings.LOGIN_REDIRECT_URL)
        _failed(request, name, "totp")
        error = "Koden er forkert eller udløbet. Prøv den næste kode fra appen."
    return render(request, "portal/login_code.html", {"form": form, "error": error})


@require_POST
@csrf_protect
def logout_view(request):
    auth.logout(request)
    return redirect("portal:login")


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def totp_setup_view(request):
    """Set up (or replace) the TOTP second factor: scan/enter the secret, confirm with one code."""
    if not request.user.is_authenticated:
        return redirect("portal:login")
    device = TotpDevice.objects.filter(user=request.user).first()
    verified = bool(request.session.get(VERIFIED))
    if device is not None and device.confirmed and not verified:
        auth.logout(request)  # cannot happen through login_view; refuse rather than let a device be replaced
        return redirect("portal:login")
    if request.method == "POST" and "reset" in request.POST and device is not None:
        device.delete()  # replacing a device needs a verified session (checked above)
        device = None
    if device is None:
        device = TotpDevice.objects.create(user=request.user, secret_encrypted=seal(pyotp.random_base32()))
        if request.method == "POST" and "reset" in request.POST:
            request.method = "GET"
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if verify_code(device, form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session[VERIFIED] = True
            audit.record(request, audit.TOTP_SETUP)
            return redirect(settings.LOGIN_REDIRECT_URL)
        error = "Koden passer ikke. Tjek at telefonens ur går rigtigt, og prøv den næste kode."
    secret = unseal(device.secret_encrypted) if not device.confirmed else ""
    uri = pyotp.TOTP(secret).provisioning_uri(name=request.user.get_username(), issuer_name="virkning") if secret else ""
    return render(request, "portal/totp_setup.html", {
        "form": form, "error": error, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "uri": uri, "confirmed": device.confirmed})
