"""Reads on environments and windows: lists, freeze conflicts, maintenance cover, clearances and free slots."""

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from guardian.models import UserObjectPermission

from apps.core.compiled import CompiledQuery
from apps.core.exceptions import ConflictError
from apps.core.permissions import is_signed_in, user_can
from apps.environments.models import Clearance, Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow
from apps.environments.windows import Period, periods_merge, window_occurrences

SEARCH_HORIZON = dt.timedelta(days=90)

# stand-ins for the values of the queries compiled once per process below (each a value no filter there names)
_ENV, _CONTENT_TYPE, _USER0 = -7_199_999, -7_199_998, -7_200_000
_NOW = dt.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=dt.UTC)
_START, _END = (
    dt.datetime(1901, 3, 4, 5, 6, 7, 891, tzinfo=dt.UTC),
    dt.datetime(1901, 4, 5, 6, 7, 8, 912, tzinfo=dt.UTC),
)


@dataclass(frozen=True)
class FreezeHit:
    """One occurrence of a freeze window that overlaps a period."""

    window: FreezeWindow
    start: dt.datetime
    end: dt.datetime

    def __str__(self) -> str:
        scope = self.window.environment.name if self.window.environment_id else "every environment"
        return f"Freeze “{self.window.name}” ({scope}): {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} UTC"


def _filtered(filterset_class, data, queryset: QuerySet) -> QuerySet:
    if not data:
        return queryset
    return filterset_class(data, queryset=queryset).qs


# --- lists ----------------------------------------------------------------------------------------------------


def environment_list(*, user, filters=None) -> QuerySet[Environment]:
    """Every environment for a signed-in user (reference data everyone reads), with owner and check counts."""
    from apps.environments.filters import EnvironmentFilterSet

    if not is_signed_in(user):
        return Environment.objects.none()
    queryset = (
        Environment.objects.select_related("owner")
        .annotate(
            check_count=Count("standing_checks", filter=Q(standing_checks__is_active=True), distinct=True),
            freeze_count=Count("freeze_windows", distinct=True),
            maintenance_count=Count("maintenance_windows", distinct=True),
        )
        .order_by("order", "name")
    )
    return _filtered(EnvironmentFilterSet, filters, queryset)


def environment_get(*, user, slug: str) -> Environment:
    """One environment with its owner and active checks; Environment.DoesNotExist when absent or not visible."""
    active_checks = Prefetch("standing_checks", queryset=EnvironmentCheck.objects.order_by("order", "id"))
    return environment_list(user=user).prefetch_related(active_checks).get(slug=slug)


def freeze_window_list(*, user, filters=None) -> QuerySet[FreezeWindow]:
    """Freeze windows, all-environment ones included, for a signed-in user."""
    from apps.environments.filters import FreezeWindowFilterSet

    if not is_signed_in(user):
        return FreezeWindow.objects.none()
    return _filtered(FreezeWindowFilterSet, filters, FreezeWindow.objects.select_related("environment"))


def maintenance_window_list(*, user, filters=None) -> QuerySet[MaintenanceWindow]:
    """Maintenance windows for a signed-in user."""
    from apps.environments.filters import MaintenanceWindowFilterSet

    if not is_signed_in(user):
        return MaintenanceWindow.objects.none()
    return _filtered(MaintenanceWindowFilterSet, filters, MaintenanceWindow.objects.select_related("environment"))


def cleared_practitioners(*, environment: Environment) -> list:
    """The users cleared for `environment` by an object permission, by username."""
    granted = UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Environment),
        object_pk=str(environment.pk),
        permission__codename="deploy_to_environment",
    ).values("user_id")
    expired = Clearance.objects.filter(environment=environment, expires_at__lte=timezone.now()).values("user_id")
    users = get_user_model().objects.filter(pk__in=granted, is_active=True).exclude(pk__in=expired)
    return list(users.order_by("username"))


def clearance_candidates(*, environment: Environment) -> QuerySet:
    """Active users who could be cleared (not cleared yet), for the clearance form."""
    cleared = [u.pk for u in cleared_practitioners(environment=environment)]
    return get_user_model().objects.filter(is_active=True).exclude(pk__in=cleared).order_by("username")


# --- rules used by deployments --------------------------------------------------------------------------------


def _windows_during(queryset: QuerySet, start: dt.datetime, end: dt.datetime) -> QuerySet:
    return queryset.filter(start__lt=end).filter(Q(end__isnull=True) | Q(end__gt=start))


def _freezes_for(environment: Environment | int | None) -> QuerySet[FreezeWindow]:
    scope = Q(environment__isnull=True)
    if environment is not None:
        scope |= Q(environment=environment)
    return FreezeWindow.objects.filter(scope).select_related("environment")


def freeze_windows_during(*, environment: Environment | int | None, start, end) -> QuerySet[FreezeWindow]:
    """The freeze windows of `environment` (or of every environment) that may have an occurrence overlapping
    [start, end): those `freeze_conflicts` expands into occurrences (none of them, no conflict)."""
    return _windows_during(_freezes_for(environment), start, end)


@functools.cache
def _freeze_query(using: str, of_environment: bool) -> CompiledQuery:
    """freeze_conflicts' query, compiled once per process (the readiness panel and the gate ask it on every view)."""
    marks = {"start": _START, "end": _END, **({"environment": _ENV} if of_environment else {})}
    environment = Environment(pk=_ENV) if of_environment else None
    return CompiledQuery(_windows_during(_freezes_for(environment), _START, _END), marks=marks, using=using)


def freeze_conflicts(*, environment: Environment | None, start: dt.datetime, end: dt.datetime) -> list[FreezeHit]:
    """Every occurrence of a freeze window of `environment`, or of every environment, overlapping [start, end)."""
    if start is None or end is None or end <= start:
        return []
    query = _freeze_query(router.db_for_read(FreezeWindow), environment is not None)
    scope = {"environment": environment.pk} if environment is not None else {}
    hits = [
        FreezeHit(window=window, start=begin, end=finish)
        for window in query.fetch(start=start, end=end, **scope)
        for begin, finish in window_occurrences(window, start, end)
    ]
    return sorted(hits, key=lambda hit: (hit.start, hit.window.pk))


def _maintenance_periods(environment: Environment, start: dt.datetime, end: dt.datetime) -> list[Period]:
    """The merged occurrences of the environment's maintenance windows overlapping [start, end)."""
    periods = []
    for window in _windows_during(MaintenanceWindow.objects.filter(environment=environment), start, end):
        periods.extend(window_occurrences(window, start, end))
    return periods_merge(periods)


def maintenance_window_covers(*, environment: Environment, start: dt.datetime, end: dt.datetime) -> bool:
    """True when the environment needs no maintenance window, or one of its windows holds for all of [start, end]."""
    if not environment.requires_maintenance_window:
        return True
    if start is None or end is None or end < start:
        return False
    probe_end = end if end > start else start + dt.timedelta(microseconds=1)
    return any(
        begin <= start and end <= finish for begin, finish in _maintenance_periods(environment, start, probe_end)
    )


def practitioner_is_cleared(*, user, environment: Environment) -> bool:
    """True when `user` may carry out deployments in `environment`: globally by role, or cleared for it by a
    clearance that has not expired."""
    if not user_can(user, "environments.deploy_to_environment", environment):
        return False
    if user.has_perm("environments.deploy_to_environment"):
        return True
    return not Clearance.objects.filter(environment=environment, user=user, expires_at__lte=timezone.now()).exists()


def cleared_user_ids(*, environment: Environment, user_ids) -> set[int]:
    """Of `user_ids`, those who may carry out deployments in `environment` — by role (the global permission, or a
    superuser) or by a clearance that has not expired — in one query whatever their number (the readiness panel),
    its text made once per process for each number of users (`_cleared_query`)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return set()
    query = _cleared_query(router.db_for_read(get_user_model()), len(ids))
    rows = query.rows(
        environment=environment.pk,
        object_pk=str(environment.pk),
        content_type=ContentType.objects.get_for_model(Environment).pk,
        now=timezone.now(),
        **{f"user{n}": pk for n, pk in enumerate(ids)},
    )
    return {row[0] for row in rows}


@functools.lru_cache(maxsize=64)
def _cleared_query(using: str, count: int) -> CompiledQuery:
    """cleared_user_ids' query for `count` users: the global permission through the user's own permissions or a
    group's, or an object permission on the environment without an expired clearance. (Subqueries on the link tables
    instead of the outer joins took PostgreSQL longer to plan: 1.7 against 1.25 ms.)"""
    user_model = get_user_model()
    ids = [_USER0 - n for n in range(count)]
    perm = {"codename": "deploy_to_environment", "content_type__app_label": "environments"}
    by_role = (
        Q(is_superuser=True)
        | Q(**{f"user_permissions__{k}": v for k, v in perm.items()})
        | Q(**{f"groups__permissions__{k}": v for k, v in perm.items()})
    )
    granted = UserObjectPermission.objects.filter(
        content_type_id=_CONTENT_TYPE,
        object_pk=str(_ENV),
        permission__codename="deploy_to_environment",
        user_id__in=ids,
    ).values("user_id")
    expired = Clearance.objects.filter(environment_id=_ENV, expires_at__lte=_NOW).values("user_id")
    by_clearance = Q(pk__in=granted) & ~Q(pk__in=expired)
    users = user_model.objects.filter(pk__in=ids, is_active=True).filter(by_role | by_clearance).order_by().distinct()
    marks = {
        "environment": _ENV,
        "object_pk": str(_ENV),
        "content_type": _CONTENT_TYPE,
        "now": _NOW,
        **{f"user{n}": pk for n, pk in enumerate(ids)},
    }
    return CompiledQuery(users.values_list("pk"), marks=marks, using=using)


def expired_clearance(*, user, environment: Environment) -> Clearance | None:
    """`user`'s clearance for `environment` when it has expired (None when it has not, or there is none)."""
    return Clearance.objects.filter(environment=environment, user=user, expires_at__lte=timezone.now()).first()


def clearances_expiring(*, within_days: int = 14) -> QuerySet[Clearance]:
    """Clearances that expire within `within_days` (and have not yet), soonest first: what managers renew."""
    now = timezone.now()
    return (
        Clearance.objects.filter(expires_at__gt=now, expires_at__lte=now + dt.timedelta(days=within_days))
        .select_related("user", "granted_by", "environment")
        .order_by("expires_at", "id")
    )


def clearance_list(*, environment: Environment) -> QuerySet[Clearance]:
    """The clearances of `environment` with who holds and who granted them, by username."""
    return Clearance.objects.filter(environment=environment).select_related("user", "granted_by", "environment")


def next_free_slot(
    *,
    environment: Environment,
    duration: dt.timedelta,
    after: dt.datetime,
    busy: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> tuple[dt.datetime, dt.datetime]:
    """The first (start, end) of `duration`, starting at or after `after`, outside every freeze, inside a
    maintenance window when the environment requires one, and overlapping no (start, end) of `busy`.

    The earliest free start is `after` itself or the end of something that blocks (a freeze occurrence, a busy
    period) or the start of a maintenance occurrence, so only those candidates are tried. Raises ConflictError
    when nothing is free within 90 days.
    """
    if duration <= dt.timedelta(0):
        raise ValueError("duration must be positive")
    horizon_end = after + SEARCH_HORIZON + duration
    blocked = [(hit.start, hit.end) for hit in freeze_conflicts(environment=environment, start=after, end=horizon_end)]
    blocked += [(b, e) for b, e in busy if b is not None and e is not None and e > after and b < horizon_end]
    maintenance = (
        _maintenance_periods(environment, after, horizon_end) if environment.requires_maintenance_window else None
    )
    candidates = {after} | {e for _, e in blocked if e > after}
    if maintenance is not None:
        candidates |= {b for b, _ in maintenance if b > after}
    for start in sorted(candidates):
        if start > after + SEARCH_HORIZON:
            break
        end = start + duration
        if any(b < end and start < e for b, e in blocked):
            continue
        if maintenance is not None and not any(b <= start and end <= e for b, e in maintenance):
            continue
        return start, end
    raise ConflictError(
        f"No free slot of {duration} in {environment.name} within {SEARCH_HORIZON.days} days.", code="no_free_slot"
    )
