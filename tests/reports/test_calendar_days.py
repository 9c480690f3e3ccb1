"""The calendar read from the day counts the services keep and each day's first deployments equals the calendar
counted and ranked from the deployments, month and week, with the filters the counts answer; other filters and
users who see part of the deployments are counted from the deployments; the queries do not grow with a day's
deployments."""

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.deployments.services import Context, deployment_transition
from apps.reports.selectors import calendar as cal
from apps.reports.selectors.calendar_days import day_counts
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan
from tests.reports.helpers import many_deployments

pytestmark = pytest.mark.django_db


def _shown(data) -> list:
    days = [(d.date, d.count, d.more, [x.pk for x in d.deployments], d.more_url) for week in data.weeks for d in week]
    rows = [
        (env.pk, [(d.date, d.count, [x.pk for x in d.deployments], d.more_url) for d in cells])
        for env, cells in data.by_environment
    ]
    return [days, rows, [d.pk for d in data.deployments], data.conflicts, data.truncated]


@pytest.fixture
def busy(world):
    """Twenty deployments three hours apart from w.deployment's start (several a day, some across midnight), one
    approved and one cancelled, and a few in another environment."""
    w = world
    boss = UserFactory(roles=["manager"])
    made = many_deployments(w, 20, start=w.deployment.planned_start)
    advance(made[3], to="approved", manager=boss)
    deployment_transition(ctx=Context(actor=w.users["manager"]), deployment=made[5], transition="cancel", comment="no")
    for i in range(3):
        plan(
            requester=w.users["manager"],
            service=w.other_service,
            environment=w.env_staging,
            versions=[w.other_version],
            start=w.deployment.planned_start + dt.timedelta(hours=5 * i + 1),
            hours=30,
        )
    return w


QUERIES = [
    "",
    "environment={test}",
    "environment_kind=test",
    "status=cancelled&status=draft",
    "status=approved&environment={staging}",
    "service={service}",  # not what the counts are kept by: counted from the deployments
    "q=Bulk",
]


@pytest.mark.parametrize("view", [cal.MONTH, cal.WEEK])
@pytest.mark.parametrize("query", QUERIES)
def test_the_calendar_from_the_day_counts_equals_the_deployments_counted(busy, monkeypatch, view, query):
    w = busy
    params = QueryDict(query.format(test=w.env_test.pk, staging=w.env_staging.pk, service=w.service.pk))
    anchor = w.deployment.planned_start.date()
    # when the calendar is built from the day counts (where they answer), and from the deployments alone
    read = cal.calendar_build(user=w.users["manager"], params=params, view=view, anchor=anchor)
    monkeypatch.setattr(cal, "day_counts", lambda **kwargs: None)
    counted = cal.calendar_build(user=w.users["manager"], params=params, view=view, anchor=anchor)
    # then they show the same (the busiest days "+N more")
    assert _shown(read) == _shown(counted)
    if not query and view == cal.MONTH:
        assert max(d.more for week in counted.weeks for d in week) > 0


def test_the_day_counts_answer_only_what_they_are_kept_by(busy):
    w = busy
    days = [w.deployment.planned_start.date()]
    manager, owner = w.users["manager"], w.users["service_owner"]

    def counts(user, query):
        filterset = cal._filterset(user=user, params=QueryDict(query))
        return day_counts(user=user, filterset=filterset, days=days, per_environment=False)

    assert counts(manager, "") and counts(manager, f"environment={w.env_test.pk}&status=draft")
    assert counts(manager, f"service={w.service.pk}") is None
    assert counts(manager, "q=Bulk") is None
    assert counts(owner, "") is None  # sees the deployments of their services only


@pytest.mark.parametrize("view", [cal.MONTH, cal.WEEK])
def test_the_calendar_queries_do_not_grow_with_a_days_deployments(world, view):
    w = world
    anchor = w.deployment.planned_start.date()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            cal.calendar_build(user=w.users["manager"], params=QueryDict(""), view=view, anchor=anchor)
        return len(ctx.captured_queries)

    queries()  # the first reads what a process remembers afterwards
    few = queries()
    many_deployments(w, 30, start=w.deployment.planned_start)
    assert queries() == few
