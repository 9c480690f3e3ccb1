"""The counts kept for bounded reads (apps/deployments/services/calendar_days.py): the calendar's day counts and the
deployments approved or under way, kept by the services through a random sequence of plans, transitions and edits,
equal a recomputation from the deployments (independently of the rebuild) and a rebuild; a window's days follow the
calendar's overlap rule; a change writes each table in one statement."""

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.deployments import workflow
from apps.deployments.models import ALL, Deployment, DeploymentCalendarDay, DeploymentStatusCount
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.services.calendar_days import calendar_days_of, counts_rebuild
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from tests.deployments.test_kpi_rollup_rebuild import _walk, clock  # noqa: F401 (the walk's clock fixture)
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _overlapped(start: dt.datetime, end: dt.datetime) -> set[dt.date]:
    """The UTC days the calendar shows a window on, by its own rule, tried day by day around the window."""
    first = start.astimezone(UTC).date() - dt.timedelta(days=2)
    days = [first + dt.timedelta(days=i) for i in range((end - start).days + 5)]
    return {d for d in days if start < _midnight(d) + dt.timedelta(days=1) and end > _midnight(d)}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.datetime(2026, 3, 4, 10, tzinfo=UTC), dt.datetime(2026, 3, 4, 12, tzinfo=UTC)),
        (dt.datetime(2026, 3, 4, 22, tzinfo=UTC), dt.datetime(2026, 3, 5, 2, tzinfo=UTC)),  # across midnight
        (dt.datetime(2026, 3, 4, 22, tzinfo=UTC), dt.datetime(2026, 3, 5, tzinfo=UTC)),  # ends at midnight
        (dt.datetime(2026, 3, 5, tzinfo=UTC), dt.datetime(2026, 3, 5, 0, 30, tzinfo=UTC)),  # starts at midnight
        (dt.datetime(2026, 1, 20, 8, tzinfo=UTC), dt.datetime(2026, 3, 2, 11, tzinfo=UTC)),  # six weeks
        (dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),) * 2,  # empty, another zone
    ],
)
def test_a_window_counts_on_the_days_the_calendar_shows_it(start, end):
    days = calendar_days_of(environment_id=3, status="approved", planned_start=start, planned_end=end)
    assert {day for day, env, _ in days if env == 3} == _overlapped(start, end)
    assert set(days.values()) <= {1}
    every = {(day, status) for day, env, status in days if env == ALL}
    assert every == {(d, "approved") for d in _overlapped(start, end)}


def _kept() -> tuple[dict, dict]:
    days = DeploymentCalendarDay.objects.filter(deployments__gt=0)
    statuses = DeploymentStatusCount.objects.filter(deployments__gt=0)
    return (
        {(r.day, r.environment_id, r.status): r.deployments for r in days},
        {(r.status, r.environment_id, r.model_id, r.service_id): r.deployments for r in statuses},
    )


def _recomputed() -> tuple[dict, dict]:
    """Both counts from the deployments, by the calendar's rule tried day by day and by the keys' definition."""
    days: Counter = Counter()
    statuses: Counter = Counter()
    for d in Deployment.objects.all():
        if d.planned_start is not None and d.planned_end is not None:
            for day in _overlapped(d.planned_start, d.planned_end):
                days.update({(day, d.environment_id, d.status): 1, (day, ALL, d.status): 1})
        if d.status in workflow.BOOKED:
            for env in (d.environment_id, ALL):
                keys = [(d.model_id or 0, ALL), (ALL, ALL), (ALL, d.service_id)]
                statuses.update({(d.status, env, m, s): 1 for m, s in keys})
    return dict(days), dict(statuses)


@pytest.mark.parametrize("seed", [7, 11])
def test_the_counts_kept_by_the_services_equal_a_recomputation_and_a_rebuild(world, clock, seed):  # noqa: F811
    # given deployments planned, approved, started, finished, cancelled and re-planned in a random order
    _walk(world, clock, random.Random(seed))  # noqa: S311 (a reproducible test sequence)
    kept = _kept()
    assert {status for _, _, status in kept[0]} >= {Status.DRAFT, Status.APPROVED, Status.COMPLETED}
    assert kept[1]  # some are approved or under way
    # then they equal the counts recomputed from the deployments
    assert kept == _recomputed()
    # and a rebuild (alone, and with the KPI rollups) gives the same rows
    counts_rebuild()
    assert _kept() == kept
    kpi_rollup_rebuild()
    assert _kept() == kept


def _writes(captured, table: str) -> int:
    return sum(1 for q in captured if table in q["sql"] and "INSERT" in q["sql"])  # on PostgreSQL a creation's is
    # one WITH query of the statement inserting the deployment


def test_a_change_writes_each_count_in_one_statement(world):
    # given a deployment over three days
    w = world
    manager, boss = w.users["manager"], UserFactory(roles=["manager"])
    start = soon(5, hour=20)
    with CaptureQueriesContext(connection) as planned:
        d = plan(requester=manager, service=w.service, environment=w.env_test, versions=[w.version_2], start=start)
    d = deployment_update(
        ctx=Context(actor=manager),
        deployment=d,
        data={"planned_end": start + dt.timedelta(days=2)},
        expected_version=None,
    )
    # when it is approved, then cancelled
    d = advance(d, to=Status.APPROVED, manager=boss)
    with CaptureQueriesContext(connection) as cancelled:
        deployment_transition(ctx=Context(actor=boss), deployment=d, transition="cancel", comment="not now")
    # then its creation and each change wrote each table once
    assert _writes(planned.captured_queries, "deploymentcalendarday") == 1
    assert _writes(planned.captured_queries, "deploymentstatuscount") == 0  # a draft is not counted there
    assert _writes(cancelled.captured_queries, "deploymentcalendarday") == 1
    assert _writes(cancelled.captured_queries, "deploymentstatuscount") == 1
    assert _kept() == _recomputed()


def test_bench_seed_counts_the_deployments_it_loads():
    from django.core.management import call_command

    # given the benchmark's data set, loaded without the services
    call_command("bench_seed", deployments=120, chunk=50)
    # then its counts are there, as a recomputation makes them
    kept = _kept()
    assert kept[0] and kept[1]
    assert kept == _recomputed()
