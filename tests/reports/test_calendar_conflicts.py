"""The calendar's conflict check: the planned deployments a shown one can conflict with, and the conflicts found."""

import datetime as dt

from django.http import QueryDict

from apps.deployments.models import Deployment
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.workflow import PLANNED, Status
from apps.reports.selectors import calendar as calendar_selectors
from apps.reports.selectors.calendar import calendar_build
from apps.reports.selectors.calendar_conflicts import PlannedWindow, calendar_conflicts
from tests.factories.deployments import DeploymentFactory


def test_conflicts_are_looked_for_among_the_deployments_overlapping_the_shown_ones(world, monkeypatch):
    # given six approved deployments on one day in production (no parallel deployments): four shown, the fifth
    # overlapping the fourth, the sixth overlapping none of the shown
    w = world
    day = (w.deployment.planned_start + dt.timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = (1, 2, 3, 4, 5, 20)
    made = [
        DeploymentFactory(
            status=Status.APPROVED,
            environment=w.env_prod,
            service=w.service,
            planned_start=day + dt.timedelta(hours=h),
            planned_end=day + dt.timedelta(hours=h, minutes=90),
            title=f"Day {h}",
        )
        for h in hours
    ]
    counts_rebuild()  # written by factory: the day counts recomputed
    # when the manager's calendar of that month is built
    read = []
    partners_of = calendar_selectors.partners_of

    def spy(*args):
        read.extend(partners_of(*args))
        return read

    monkeypatch.setattr(calendar_selectors, "partners_of", spy)  # where calendar_build calls it
    cal = calendar_build(user=w.users["manager"], params=QueryDict(""), anchor=day.date())
    # then the fourth shown conflicts with the fifth, which is not shown; the sixth was not read
    fourth, fifth, sixth = made[3], made[4], made[5]
    assert fourth.pk in {d.pk for d in cal.deployments} and fifth.pk not in {d.pk for d in cal.deployments}
    assert any(fifth.reference in reason for reason in cal.conflicts[fourth.pk])
    assert sixth.pk not in {p.pk for p in read} and fifth.pk in {p.pk for p in read}
    # and the conflicts are those found among every planned deployment of the range
    every = [
        PlannedWindow(d.pk, d.reference, d.environment_id, d.planned_start, d.planned_end)
        for d in Deployment.objects.filter(status__in=PLANNED, planned_start__isnull=False)
    ]
    assert cal.conflicts == calendar_conflicts(cal.deployments, cal.freezes, every)
