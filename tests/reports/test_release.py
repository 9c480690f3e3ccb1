"""Deployed vs released in the reports: the KPI of the time to release, "what is where" and the register."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.services.matrix_snapshot import matrix_record_final
from apps.deployments.workflow import Status
from apps.reports.selectors.kpi_drilldown import kpi_drilldown
from apps.reports.selectors.kpis import kpi_report
from apps.reports.selectors.matrix import matrix_build
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 10)


def _at(hours: float) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(8))) + dt.timedelta(hours=hours)


def _completed(service, env, *, released_after: float | None, end: float = 0, **extra):
    version = ComponentVersionFactory(component__service=service)
    return DeploymentFactory(
        status=Status.COMPLETED,
        service=service,
        environment=env,
        versions=[version],
        actual_start=_at(end - 1),
        actual_end=_at(end),
        released_at=_at(end + released_after) if released_after is not None else None,
        **extra,
    )


def test_the_kpi_is_the_median_time_from_deployment_to_release():
    # given four deployments completed on the day: released 2, 4 and 10 hours after, and one not yet released
    manager = UserFactory(roles=["manager"])
    service, env = ServiceFactory(), EnvironmentFactory()
    released = [_completed(service, env, released_after=h, end=i) for i, h in enumerate((2, 4, 10))]
    _completed(service, env, released_after=None, end=5)
    kpi_rollup_rebuild()  # rows written by factories, not by the services that keep the rollup
    # when the KPIs of the month are read
    report = kpi_report(user=manager, start=DAY.replace(day=1), end=DAY.replace(day=31))
    # then the median is 4 hours over the 3 released of the 4 completed
    value = report["release_lag_median_hours"]
    assert (value.value, value.numerator, value.denominator) == (4.0, 3, 4)
    assert value.metric.unit == "hours"
    # and the drill-down lists the released ones with their hours
    rows = kpi_drilldown(user=manager, metric="release_lag_median_hours", start=DAY.replace(day=1), end=DAY)
    assert sorted((d.pk, round(d.hours, 2)) for d in rows) == sorted(
        (d.pk, h) for d, h in zip(released, (2.0, 4.0, 10.0), strict=True)
    )


def test_no_release_is_no_data():
    manager = UserFactory(roles=["manager"])
    _completed(ServiceFactory(), EnvironmentFactory(), released_after=None)
    kpi_rollup_rebuild()
    value = kpi_report(user=manager, start=DAY, end=DAY)["release_lag_median_hours"]
    assert (value.value, value.numerator, value.denominator) == (None, 0, 1)


def test_what_is_where_shows_deployed_not_released(client):
    # given two components of a service in an environment: one released, one deployed and not released
    manager = UserFactory(roles=["manager"])
    service, env = ServiceFactory(name="Shop"), EnvironmentFactory()
    released = _completed(service, env, released_after=1, end=0)
    waiting = _completed(service, env, released_after=None, end=1)
    for d in (released, waiting):
        matrix_record_final(deployment=d)
    # when the matrix is read by component
    data = matrix_build(user=manager, by="component")
    # then each version says whether it is released
    flags = {
        v["reference"]: v["released"] for row in data.rows for cell in row.cells for v in cell.versions if cell.versions
    }
    assert flags == {released.reference: True, waiting.reference: False}
    # and the page marks the one not released
    client.force_login(manager)
    html = client.get("/matrix/?by=component").content.decode()
    assert html.count('data-testid="matrix-not-released"') == 1


def test_the_register_badges_and_filters_deployed_not_released(client):
    manager = UserFactory(roles=["manager"])
    service, env = ServiceFactory(), EnvironmentFactory()
    released = _completed(service, env, released_after=1, title="Released one")
    waiting = _completed(service, env, released_after=None, title="Waiting one")
    client.force_login(manager)
    html = client.get("/deployments/?status=completed").content.decode()
    assert html.count('data-testid="not-released-badge"') == 1
    only = client.get("/deployments/?released=false").content.decode()
    assert waiting.title in only and released.title not in only
