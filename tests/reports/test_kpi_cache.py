"""Tests of apps/reports/kpi_cache.py: cached per scope and arguments, permission checked before the cache."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.deployments.services.events import Context, event_record
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from apps.reports.selectors.kpis import kpi_report
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


def _completed(service=None):
    end = timezone.now() - dt.timedelta(days=2)
    extra = {"service": service} if service else {}
    made = DeploymentFactory(
        status=Status.COMPLETED,
        actual_start=end - dt.timedelta(hours=1),
        actual_end=end,
        planned_start=end - dt.timedelta(hours=1),
        planned_end=end,
        **extra,
    )
    kpi_rollup_rebuild()  # a row written directly: the rollup is recomputed
    return made


def test_figures_are_cached_per_scope_and_arguments(settings):
    settings.DEPLOYDESK_KPI_CACHE_SECONDS = 300
    cache.clear()
    manager, auditor = UserFactory(roles=["manager"]), UserFactory(roles=["auditor"])
    today = timezone.localdate()
    args = {"start": today - dt.timedelta(days=30), "end": today}
    _completed()
    first = kpi_report(user=manager, **args)
    assert first["failures"].value == 0 and first["success_rate"].denominator == 1
    _completed()
    # the same scope and arguments are served from the cache …
    assert kpi_report(user=auditor, **args)["success_rate"].denominator == 1
    # … other arguments are computed afresh
    assert (
        kpi_report(user=manager, start=args["start"] - dt.timedelta(days=1), end=today)["success_rate"].denominator == 2
    )


def test_an_owner_never_gets_the_global_figures_from_the_cache(settings):
    settings.DEPLOYDESK_KPI_CACHE_SECONDS = 300
    cache.clear()
    from apps.catalog.services import service_create

    manager = UserFactory(roles=["manager"])
    owner = UserFactory(roles=["service_owner"])
    mine = service_create(name="Mine", owners=[owner], actor=manager)
    today = timezone.localdate()
    _completed(service=mine)
    _completed()
    _completed()
    args = {"start": today - dt.timedelta(days=30), "end": today}
    assert kpi_report(user=manager, **args)["success_rate"].denominator == 3
    assert kpi_report(user=owner, **args)["success_rate"].denominator == 1


def test_the_permission_is_checked_before_the_cache(settings):
    settings.DEPLOYDESK_KPI_CACHE_SECONDS = 300
    cache.clear()
    today = timezone.localdate()
    kpi_report(user=UserFactory(roles=["manager"]), start=today, end=today)
    with pytest.raises(PermissionDenied):
        kpi_report(user=UserFactory(roles=["practitioner"]), start=today, end=today)


def test_a_recorded_change_makes_every_process_compute_afresh(settings, django_capture_on_commit_callbacks):
    # given figures in the cache
    settings.DEPLOYDESK_KPI_CACHE_SECONDS = 300
    cache.clear()
    manager = UserFactory(roles=["manager"])
    today = timezone.localdate()
    args = {"start": today - dt.timedelta(days=30), "end": today}
    _completed()
    assert kpi_report(user=manager, **args)["success_rate"].denominator == 1
    second = _completed()
    # when a deployment's change is recorded (any process: the generation lives in the shared cache) …
    with django_capture_on_commit_callbacks(execute=True):
        event_record(deployment=second, ctx=Context(actor=manager), kind="comment", comment="Closed out.")
    # … the next figures are computed afresh, not served from before the change
    assert kpi_report(user=manager, **args)["success_rate"].denominator == 2
