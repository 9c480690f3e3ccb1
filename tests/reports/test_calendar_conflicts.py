"""The calendar's conflict check: the planned deployments a shown one can conflict with, and the conflicts found."""

import datetime as dt

from django.http import QueryDict

from apps.deployments.models import Deployment
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.workflow import PLANNED, Status
from apps.reports.selectors import calendar as calendar_selectors
from apps.reports.selectors import calendar_conflicts as conflicts_selectors
from apps.reports.selectors.calendar import calendar_build
from apps.reports.selectors.calendar_conflicts import PlannedWindow, calendar_conflicts
from tests.factories.deployments import DeploymentFactory


def _approved(w, day, start, end, **kwargs):
    """An approved deployment on `day` from `start` to `end` hours (no versions unless given)."""
    kwargs.setdefault("versions", [])
    return DeploymentFactory(
        status=Status.APPROVED,
        planned_start=day + dt.timedelta(hours=start),
        planned_end=day + dt.timedelta(hours=end),
        **kwargs,
    )


def _every_planned() -> list[PlannedWindow]:
    return [
        PlannedWindow(d.pk, d.reference, d.environment_id, d.planned_start, d.planned_end)
        for d in Deployment.objects.filter(status__in=PLANNED, planned_start__isnull=False)
    ]


def _build(w, day, monkeypatch) -> tuple:
    """The manager's month of `day`, and the planned deployments its conflict check read."""
    read = []
    partners_of = calendar_selectors.partners_of

    def spy(*args):
        found = partners_of(*args)
        read.extend(found[0])
        return found

    monkeypatch.setattr(calendar_selectors, "partners_of", spy)
    return calendar_build(user=w.users["manager"], params=QueryDict(""), anchor=day.date()), {p.pk for p in read}


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
    cal, read = _build(w, day, monkeypatch)
    # then the fourth shown conflicts with the fifth, which is not shown; the sixth was not read
    fourth, fifth, sixth = made[3], made[4], made[5]
    assert fourth.pk in {d.pk for d in cal.deployments} and fifth.pk not in {d.pk for d in cal.deployments}
    assert any(fifth.reference in reason for reason in cal.conflicts[fourth.pk])
    assert sixth.pk not in read and fifth.pk in read
    # and the conflicts are those found among every planned deployment of the range
    assert cal.conflicts == calendar_conflicts(cal.deployments, cal.freezes, _every_planned())


def test_a_shown_deployments_partners_are_read_from_its_service_and_its_serial_environment(world, monkeypatch):
    # given two drafts, then shown: A in production (no parallel deployments) deploying the shop's first version and
    # B in test (parallel deployments) deploying the other service's; not shown: D in test deploying the shop's
    # component again while A runs, and C in production, of a third service, overlapping B but not A
    w = world
    day = (w.deployment.planned_start + dt.timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
    for minutes in (0, 10):
        DeploymentFactory(
            status=Status.DRAFT,
            environment=w.env_test,
            service=w.service,
            versions=[],
            planned_start=day + dt.timedelta(minutes=minutes),
            planned_end=day + dt.timedelta(minutes=minutes + 5),
        )
    a = _approved(w, day, 1, 2.5, environment=w.env_prod, service=w.service, versions=[w.version_1])
    b = _approved(w, day, 1.25, 6, environment=w.env_test, service=w.other_service, versions=[w.other_version])
    d = _approved(w, day, 2, 3, environment=w.env_test, service=w.service, versions=[w.version_2])
    c = _approved(w, day, 4, 5, environment=w.env_prod)
    counts_rebuild()
    # when the manager's calendar of that month is built
    cal, read = _build(w, day, monkeypatch)
    # then A conflicts with D on the component, B with nothing; C, around B's hours in A's environment, was not read
    shown = {x.pk for x in cal.deployments}
    assert {a.pk, b.pk} <= shown and not {c.pk, d.pk} & shown
    assert cal.conflicts[a.pk] == [f"Deploys the same component as {d.reference} in an overlapping window."]
    assert b.pk not in cal.conflicts
    assert {a.pk, b.pk, d.pk} <= read and c.pk not in read
    assert cal.conflicts == calendar_conflicts(cal.deployments, cal.freezes, _every_planned())
    assert not cal.truncated


def test_the_check_is_cut_only_where_one_stretch_has_more_partners_than_it_reads(world, monkeypatch):
    # given two overlapping approved deployments in production and two in staging (neither allows parallel
    # deployments), of two services
    w = world
    day = (w.deployment.planned_start + dt.timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
    pairs = [
        _approved(w, day, h, h + 1.5, environment=env, service=service)
        for env, service in ((w.env_prod, w.service), (w.env_staging, w.other_service))
        for h in (1, 2)
    ]
    counts_rebuild()
    found = {}
    for limit in (2, 1):
        # when the calendar reads at most `limit` rows a stretch (each environment's and service's holds two)
        monkeypatch.setattr(conflicts_selectors, "MAX_EVENTS", limit)
        monkeypatch.setattr(calendar_selectors, "MAX_EVENTS", limit, raising=False)  # where the range's were counted
        found[limit], _read = _build(w, day, monkeypatch)
    # then the check is cut only when one of them holds more, and finds every conflict otherwise
    whole, cut = found[2], found[1]
    assert {x.pk for x in whole.deployments} == {x.pk for x in pairs}
    assert (whole.truncated, cut.truncated) == (False, True)
    assert whole.conflicts == calendar_conflicts(whole.deployments, whole.freezes, _every_planned())
    assert [whole.conflicts[x.pk] for x in pairs] == [
        [f"Overlaps {other.reference} in {other.environment}, which allows no parallel deployments."]
        for other in (pairs[1], pairs[0], pairs[3], pairs[2])
    ]


def test_a_serial_environments_partners_are_read_by_their_planned_end_below_the_stretchs_end_plus_the_longest(
    world, monkeypatch
):
    # given in production (no parallel deployments) A from 1:00 to 2:00 and B, the longest window (10 hours),
    # starting a minute before A ends, of another service
    w = world
    day = (w.deployment.planned_start + dt.timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
    a = _approved(w, day, 1, 2, environment=w.env_prod, service=w.service)
    b = _approved(w, day, 2 - 1 / 60, 12 - 1 / 60, environment=w.env_prod, service=w.other_service)
    counts_rebuild()
    # when the manager's calendar of that month is built
    cal, read = _build(w, day, monkeypatch)
    # then the environment's statement bounds the planned end as well (so that PostgreSQL reads the planned windows'
    # index by environment and end), the service's does not, and B, ending just before that bound, is A's conflict
    by_environment = conflicts_selectors._overlaps_query(Deployment.objects.all())
    by_service = conflicts_selectors._partners_query(Deployment.objects.all())
    assert conflicts_selectors.UNTIL in by_environment.names and conflicts_selectors.UNTIL not in by_service.names
    assert by_environment.sql.count('"planned_end" <') == 1 and '"planned_end" <' not in by_service.sql
    assert b.pk in read
    assert cal.conflicts[a.pk] == [f"Overlaps {b.reference} in {a.environment}, which allows no parallel deployments."]
    assert cal.conflicts == calendar_conflicts(cal.deployments, cal.freezes, _every_planned())
