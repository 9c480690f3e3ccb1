"""The environments of the shared test world: test, staging and production, a freeze and a maintenance window."""

import datetime as dt

from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.environments.models import EnvironmentKind, Recurrence
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory, MaintenanceWindowFactory


def next_month_start(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    return dt.datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=dt.UTC)


def extend(w) -> None:
    """Adds w.env_test, w.env_staging, w.env_prod, w.freeze (a one-off freeze on production next month) and
    w.maintenance (a weekly window on staging). The practitioner is cleared for test and staging, not production."""
    w.env_test = EnvironmentFactory(
        name="Test", slug="test", kind=EnvironmentKind.TEST, order=30, allows_parallel_deployments=True
    )
    w.env_staging = EnvironmentFactory(name="Staging", slug="staging", kind=EnvironmentKind.STAGING, order=40)
    w.env_prod = EnvironmentFactory(
        name="Production",
        slug="production",
        kind=EnvironmentKind.PRODUCTION,
        order=50,
        allows_parallel_deployments=False,
        requires_maintenance_window=False,
        owner=w.users["manager"],
    )
    start = next_month_start() + dt.timedelta(days=9)
    w.freeze = FreezeWindowFactory(
        environment=w.env_prod,
        name="Quarter close",
        reason="Finance quarter close: no changes to production.",
        recurrence=Recurrence.ONE_OFF,
        start=start,
        end=start + dt.timedelta(days=2),
    )
    w.maintenance = MaintenanceWindowFactory(environment=w.env_staging, name="Staging weekly window")
    for env in (w.env_test, w.env_staging):
        assign_perm("environments.deploy_to_environment", w.users["practitioner"], env)
