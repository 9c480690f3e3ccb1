"""Rate limits of the API (DESIGN.md §5): counters in the Django cache — Redis when REDIS_URL is set, so every web
process shares them; local memory on the embedded default. Excess requests get 429 with `Retry-After`."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRate(SimpleRateThrottle):
    """Reads its rate from the settings at each request (DRF binds them when the class is defined), so a rate
    changed in the settings — by a test, say — applies at once."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserOrTokenRateThrottle(_SettingsRate):
    """Per API token, or per signed-in user on a session (`DEPLOYDESK_THROTTLE_USER`, default 600/minute)."""

    scope = "user"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # anonymous requests are counted by AnonAddressRateThrottle
        token = getattr(request, "auth", None)
        ident = f"token-{token.pk}" if getattr(token, "pk", None) else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonAddressRateThrottle(_SettingsRate):
    """Per client address for requests nobody signed in to (`DEPLOYDESK_THROTTLE_ANON`, default 60/minute); the
    address is REMOTE_ADDR, or X-Forwarded-For as counted back by DRF's `NUM_PROXIES` behind a proxy."""

    scope = "anon"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class HookRateThrottle(_SettingsRate):
    """Inbound deployment events, per sender address (`DEPLOYDESK_THROTTLE_HOOKS`, default 600/minute): senders such
    as GitHub post in bursts from shared addresses."""

    scope = "hooks"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
