"""OpenID Connect sign-in on mozilla-django-oidc: the authentication backend and the two views of the code flow.

The library does the protocol (state, nonce, PKCE, the token exchange, signature checks); this module adds what
Deploydesk needs on top: endpoints from the issuer's discovery document, the ID token's audience and issuer
checked (the library leaves both unchecked), an expiry on the state, users found through their (issuer, subject)
link, and roles synced from a claim at every sign-in.
"""

import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from apps.sso.discovery import DiscoveryError, oidc_setting
from apps.sso.mapping import roles_for
from apps.sso.models import ExternalIdentity
from apps.sso.services import ExternalProfile, external_sign_in_or_none

logger = logging.getLogger(__name__)
REFUSED = "Single sign-on did not sign you in. Try again, or ask an administrator if it keeps failing."
EXPIRED = "That sign-in took too long or was started in another browser window. Please sign in again."
UNAVAILABLE = "The identity provider cannot be reached just now. Please try again in a minute."


def _claim(claims: dict, path: str):
    """A claim by name, or by a dotted path into nested claims (Keycloak's `realm_access.roles`)."""
    if path in claims:
        return claims[path]
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def profile_from_claims(claims: dict, *, issuer: str) -> ExternalProfile:
    """The person the provider's claims describe, with the roles the configured claim maps to."""
    role_map = settings.DEPLOYDESK_OIDC_ROLE_MAP
    raw = _claim(claims, settings.DEPLOYDESK_OIDC_ROLE_CLAIM) if role_map else None
    groups = tuple(v for v in ([raw] if isinstance(raw, str) else raw or []) if isinstance(v, str))
    return ExternalProfile(
        kind=ExternalIdentity.Kind.OIDC,
        issuer=issuer,
        subject=str(claims["sub"]),
        username=str(_claim(claims, settings.DEPLOYDESK_OIDC_USERNAME_CLAIM) or claims.get("email") or claims["sub"]),
        email=str(claims.get("email") or ""),
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        roles=frozenset(roles_for(groups, role_map)) if role_map else None,
        groups=groups,
    )


class OidcBackend(OIDCAuthenticationBackend):
    """Signs people in from the OpenID provider; their permissions come from RoleModelBackend, as everyone's.

    `authenticate` takes only the callback's arguments, so Django never offers it a username and password."""

    def __init__(self, *args, **kwargs):
        # no endpoint is read here: Django builds every backend for every password sign-in and session load
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = property(lambda self: getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None))

    @cached_property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802  (the library's attribute names)
        return oidc_setting("OIDC_OP_TOKEN_ENDPOINT")

    @cached_property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return oidc_setting("OIDC_OP_USER_ENDPOINT", "")

    @cached_property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return oidc_setting("OIDC_OP_JWKS_ENDPOINT", None)

    @cached_property
    def issuer(self) -> str:
        return settings.DEPLOYDESK_OIDC_ISSUER.rstrip("/")

    def authenticate(self, request, nonce, code_verifier):  # noqa: D102
        if not settings.DEPLOYDESK_OIDC_ENABLED:
            return None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except (SuspiciousOperation, jwt.InvalidTokenError) as exc:
            logger.warning("single sign-on refused: %s", exc)
        except (requests.RequestException, DiscoveryError, ImproperlyConfigured) as exc:
            logger.error("single sign-on failed, the provider could not be used: %s", exc)
        return None

    def _verify_jws(self, payload, key):
        """The signature, and also the audience (our client id), the issuer and the expiry of the ID token."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {header.get('alg')!r}, expected {self.OIDC_RP_SIGN_ALGO}")
        return jwt.decode(
            payload,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=self.issuer or None,
            leeway=60,
            options={"require": ["exp", "iat", "aud", "sub"], "verify_iss": bool(self.issuer)},
        )

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's (Entra ID puts groups in the token only)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if str(info.get("sub", payload["sub"])) != str(payload["sub"]):
                raise SuspiciousOperation("the userinfo endpoint answered for another subject")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        issuer = self.issuer or str(payload.get("iss", ""))
        return external_sign_in_or_none(profile=profile_from_claims(claims, issuer=issuer))

    # permissions are RoleModelBackend's: answering here too would only repeat its work
    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False


def _require_enabled() -> None:
    if not settings.DEPLOYDESK_OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


class OidcLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorisation endpoint (the "Sign in with …" button)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # endpoints are read in get()

    def get(self, request):
        _require_enabled()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (DiscoveryError, ImproperlyConfigured) as exc:
            logger.error("single sign-on cannot start: %s", exc)
            messages.error(request, UNAVAILABLE)
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the state is checked (known to this session and not expired),
    then the backend exchanges the code and signs the person in. Every refusal lands on the login page."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self):
        return reverse("login")

    def login_failure(self):
        messages.error(self.request, REFUSED)
        return super().login_failure()

    def _state_fresh(self, request) -> bool:
        states = request.session.get("oidc_states")
        state = request.GET.get("state")
        if not isinstance(states, dict) or state not in states:
            return False
        added_on = states[state].get("added_on") or 0
        if time.time() - added_on > settings.DEPLOYDESK_OIDC_STATE_MAX_AGE:
            del states[state]
            request.session.modified = True
            return False
        return True

    def get(self, request):
        _require_enabled()
        if "error" not in request.GET and not self._state_fresh(request):
            logger.warning("single sign-on callback with an unknown or expired state refused")
            messages.error(request, EXPIRED)
            return HttpResponseRedirect(self.failure_url)
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            logger.warning("single sign-on callback refused: %s", exc)
            return self.login_failure()
