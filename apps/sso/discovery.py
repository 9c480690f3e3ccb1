"""The OpenID provider's endpoints: set one by one in the environment, or read from the issuer's discovery document.

The document is fetched on first use (never at start, so Deploydesk starts while the provider is down) and kept
for an hour."""

import time

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# mozilla-django-oidc setting → the discovery document's key
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
CACHE_SECONDS = 3600
_documents: dict[str, tuple[float, dict]] = {}


class DiscoveryError(Exception):
    """The issuer's discovery document could not be read, or names another issuer."""


def discovery_document(issuer: str) -> dict:
    cached = _documents.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10) or 10)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"cannot read {url}: {exc}") from exc
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}")
    _documents[issuer] = (time.monotonic() + CACHE_SECONDS, document)
    return document


def forget() -> None:
    """Drop the cached documents (tests, or after the provider's configuration changed)."""
    _documents.clear()


def oidc_setting(name: str, *default):
    """A mozilla-django-oidc setting; an endpoint not set explicitly comes from the issuer's discovery document."""
    value = getattr(settings, name, None)
    if value:
        return value
    if name in ENDPOINTS and settings.DEPLOYDESK_OIDC_ISSUER:
        found = discovery_document(settings.DEPLOYDESK_OIDC_ISSUER).get(ENDPOINTS[name])
        if found:
            return found
    if default:
        return default[0]
    if value is not None and name not in ENDPOINTS:
        return value
    raise ImproperlyConfigured(f"single sign-on: {name} is not set and the issuer's discovery document lacks it")
