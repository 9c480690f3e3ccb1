"""DRF authentication by named API token: `Authorization: Token <key>`."""

import functools
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.accounts.backends import permissions_held, permissions_remember
from apps.accounts.models import ApiToken
from apps.core.compiled import CompiledQuery

LAST_USED_PRECISION = timedelta(seconds=60)

_PREFIX = "(a stand-in prefix)"  # longer than any prefix: no key's equals it


@functools.cache
def _candidates_query(using: str) -> CompiledQuery:
    """The active tokens with a prefix, their users and the users' permissions, in one statement compiled once per
    process and prepared (a look-up by an indexed column has one best plan): the permissions need no round trip of
    their own, which every API call's permission check made."""
    table = connections[using].ops.quote_name(ApiToken._meta.db_table)
    tokens = (
        ApiToken.objects.select_related("user")
        .filter(prefix=_PREFIX, revoked_at__isnull=True)
        .annotate(held=permissions_held(f'{table}."user_id"'))
    )
    return CompiledQuery(tokens, marks={"prefix": _PREFIX}, using=using, prepare=True)


def _failure_limit() -> int:
    """Failed token attempts allowed per address before a lockout (like django-axes for the login form)."""
    return getattr(settings, "API_AUTH_FAILURE_LIMIT", 20)


def _cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _lock_key(request) -> str:
    return f"api-token-failures:{request.META.get('REMOTE_ADDR', '')}"


class ApiTokenAuthentication(BaseAuthentication):
    """Looks the token up by its prefix and compares hashes; records when it was last used (to the minute)."""

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        lock_key = _lock_key(request)
        if (cache.get(lock_key) or 0) >= _failure_limit():
            raise exceptions.Throttled(
                detail="Too many failed token attempts from your address; try again later.",
                wait=_cool_off_seconds(),
            )
        try:
            if len(parts) != 2:
                raise exceptions.AuthenticationFailed("Invalid token header: give exactly `Token <key>`.")
            try:
                key = parts[1].decode("ascii")
            except UnicodeError as exc:
                raise exceptions.AuthenticationFailed("Invalid token header: the key must be ASCII.") from exc
            return self.authenticate_credentials(key)
        except exceptions.AuthenticationFailed:
            try:
                cache.incr(lock_key)
            except ValueError:
                cache.set(lock_key, 1, timeout=_cool_off_seconds())
            raise

    def authenticate_credentials(self, key: str):
        if "\x00" in key:  # no key holds one, and PostgreSQL's texts cannot
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        prefix = key[: ApiToken.PREFIX_LENGTH]
        candidates = _candidates_query(router.db_for_read(ApiToken)).fetch(prefix=prefix)
        token = next((t for t in candidates if t.matches(key)), None)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        permissions_remember(token.user, token.held)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
