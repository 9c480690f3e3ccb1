"""A short-lived cache in front of the KPI aggregates (DEPLOYDESK_KPI_CACHE_SECONDS). Its keys carry the generation of
the deployments' data, which every recorded event moves on after commit: a change made through any web server or
worker is in the next figures every process serves, and unchanged figures are served from the cache.

The key holds the user's scope (everything, or the user's own services) and every argument, so nobody is served a
figure computed over deployments they may not see. The permission is checked before the cache is read."""

import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Model

from apps.core.generations import generation
from apps.core.permissions import user_can
from apps.deployments.selectors.visibility import sees_all_deployments
from apps.deployments.services.events import DEPLOYMENTS_GENERATION


def _part(value) -> str:
    if isinstance(value, Model):
        return f"{value._meta.label_lower}:{value.pk}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return repr(value)


def scope_of(user) -> str:
    return "all" if sees_all_deployments(user=user) else f"user:{user.pk}"


def cached_kpi(permission: str):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*, user, **kwargs):
            seconds = getattr(settings, "DEPLOYDESK_KPI_CACHE_SECONDS", 300)
            if not user_can(user, permission):
                raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
            if seconds <= 0:
                return func(user=user, **kwargs)
            parts = [func.__name__, scope_of(user), f"g{generation(DEPLOYMENTS_GENERATION)}"]
            raw = "|".join([*parts, *(f"{k}={_part(v)}" for k, v in sorted(kwargs.items()))])
            key = "kpi:" + hashlib.sha256(raw.encode()).hexdigest()
            hit = cache.get(key)
            if hit is not None:
                return hit
            result = func(user=user, **kwargs)
            cache.set(key, result, seconds)
            return result

        return wrapper

    return decorate
