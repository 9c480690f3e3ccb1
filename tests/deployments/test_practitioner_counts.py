"""The practitioners' finished deployments kept per environment and UTC day (apps/deployments/services/
practitioner_counts.py): kept by the services through finishing, failing, rolling back, cancelling and re-assigning,
they equal a recomputation from the deployments and a rebuild; a change writes them in one statement, and one that
moves nothing (a roll-back) in none; two deployments of one practitioner finished at once both count (PostgreSQL)."""

import datetime as dt
from collections import Counter
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import Deployment, DeploymentPractitionerCount
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild
from apps.deployments.workflow import Status
from tests.deployments.test_kpi_rollup_rebuild import clock  # noqa: F401 (the clock fixture)
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory, advance, plan, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
TABLE = DeploymentPractitionerCount._meta.db_table


def _kept() -> dict:
    rows = DeploymentPractitionerCount.objects.filter(deployments__gt=0)
    return {(r.user_id, r.environment_id, r.day): r.deployments for r in rows}


def _recomputed() -> dict:
    """The counts from the deployments by their definition: each finished one, once per practitioner, under its
    environment and the UTC day of its actual end."""
    counts: Counter = Counter()
    for d in Deployment.objects.filter(status__in=workflow.FINISHED).prefetch_related("practitioners"):
        for user in d.practitioners.all():
            counts[(user.pk, d.environment_id, d.actual_end.astimezone(dt.UTC).date())] += 1
    return dict(counts)


def _reassign(d, boss, people):
    return deployment_update(
        ctx=Context(actor=boss), deployment=d, data={"practitioners": people}, expected_version=None
    )


def test_the_counts_kept_by_the_services_equal_a_recomputation_and_a_rebuild(world, clock):  # noqa: F811
    # given two practitioners and deployments finished, failed, rolled back, cancelled and re-assigned over days
    w = world
    manager, boss = w.users["manager"], UserFactory(roles=["manager"])
    pat, sam = w.users["practitioner"], UserFactory(roles=["practitioner"])
    ctx = Context(actor=boss)

    def planned(env, people, days):
        return plan(
            requester=manager, service=w.service, environment=env, versions=[w.version_2], start=soon(days),
            practitioners=people,
        )  # fmt: skip

    both = advance(planned(w.env_test, [pat, sam], 3), to=Status.COMPLETED, manager=boss)
    clock.at += dt.timedelta(days=1, hours=5)
    moved = _reassign(planned(w.env_test, [pat], 4), boss, [sam])  # re-assigned before it runs
    moved = advance(moved, to=Status.VERIFYING, manager=boss)
    moved = deployment_transition(ctx=ctx, deployment=moved, transition="fail", comment="red")
    clock.at += dt.timedelta(hours=30)  # rolled back the next day: it still counts on the day it ended
    deployment_transition(ctx=ctx, deployment=moved, transition="roll-back", comment="back")
    staging = advance(_reassign(planned(w.env_staging, [pat, sam], 5), boss, [pat]), to=Status.APPROVED, manager=boss)
    staging = advance(staging, to=Status.COMPLETED, manager=boss)
    cancelled = advance(planned(w.env_test, [pat], 6), to=Status.APPROVED, manager=boss)
    deployment_transition(ctx=ctx, deployment=cancelled, transition="cancel", comment="not now")
    clock.at += dt.timedelta(days=2)
    failed = advance(planned(w.env_test, [pat, sam], 7), to=Status.EXECUTING, manager=boss)
    deployment_transition(ctx=ctx, deployment=failed, transition="fail", comment="red")
    # and a re-assignment of a finished deployment, refused, leaving its practitioners as they were
    with pytest.raises((ConflictError, PermissionDenied)):
        _reassign(both, boss, [sam])
    assert set(both.practitioners.values_list("pk", flat=True)) == {pat.pk, sam.pk}
    # then the kept counts are those recomputed from the deployments
    kept = _kept()
    assert kept == _recomputed()
    day = clock.at.astimezone(dt.UTC).date()
    assert kept[(pat.pk, w.env_test.pk, day)] == 1  # the last failure
    assert sum(n for (user, env, _), n in kept.items() if user == pat.pk and env == w.env_test.pk) == 2
    assert sum(n for (user, env, _), n in kept.items() if user == sam.pk and env == w.env_test.pk) == 3
    assert sum(n for (_, env, _), n in kept.items() if env == w.env_staging.pk) == 1
    # and a rebuild (alone, and with the KPI rollups) gives the same rows
    assert practitioner_counts_rebuild() == len(kept)
    assert _kept() == kept
    kpi_rollup_rebuild()
    assert _kept() == kept


def _writes(captured) -> int:
    return sum(1 for q in captured if TABLE in q["sql"] and "INSERT" in q["sql"])


def test_finishing_writes_the_counts_in_one_statement_and_a_roll_back_in_none(world):
    # given a deployment of two practitioners about to fail
    w = world
    boss = UserFactory(roles=["manager"])
    people = [w.users["practitioner"], UserFactory(roles=["practitioner"])]
    d = plan(
        requester=w.users["manager"], service=w.service, environment=w.env_test, versions=[w.version_2],
        practitioners=people,
    )  # fmt: skip
    d = advance(d, to=Status.EXECUTING, manager=boss)
    # when it fails, then is rolled back
    with CaptureQueriesContext(connection) as failing:
        d = deployment_transition(ctx=Context(actor=boss), deployment=d, transition="fail", comment="red")
    with CaptureQueriesContext(connection) as rolling_back:
        deployment_transition(ctx=Context(actor=boss), deployment=d, transition="roll-back", comment="back")
    # then the failure counted both practitioners in one statement; the roll-back (still finished, on the same day)
    # wrote nothing
    assert (_writes(failing.captured_queries), _writes(rolling_back.captured_queries)) == (1, 0)
    assert (
        _kept() == _recomputed() == {(p.pk, w.env_test.pk, d.actual_end.astimezone(dt.UTC).date()): 1 for p in people}
    )


def test_the_rebuild_and_the_migration_count_each_practitioner_environment_and_utc_day(db):
    # given finished deployments written as rows: one a microsecond before a UTC midnight and one at it (given in
    # another zone), one of two practitioners, one in another environment, and a cancelled one
    pat, sam = UserFactory(), UserFactory()
    env, other = EnvironmentFactory(), EnvironmentFactory()
    midnight = dt.datetime(2030, 5, 2, tzinfo=dt.UTC)
    eastern = dt.timezone(dt.timedelta(hours=-5))
    rows = [
        (Status.COMPLETED, env, midnight - dt.timedelta(microseconds=1), [pat]),
        (Status.FAILED, env, midnight.astimezone(eastern), [pat, sam]),
        (Status.ROLLED_BACK, other, midnight + dt.timedelta(hours=3), [pat]),
        (Status.CANCELLED, env, None, [pat]),
    ]
    for status, environment, end, people in rows:
        DeploymentFactory(status=status, environment=environment, actual_end=end, practitioners=people)
    expected = {
        (pat.pk, env.pk, dt.date(2030, 5, 1)): 1,
        (pat.pk, env.pk, dt.date(2030, 5, 2)): 1,
        (sam.pk, env.pk, dt.date(2030, 5, 2)): 1,
        (pat.pk, other.pk, dt.date(2030, 5, 2)): 1,
    }
    # then the rebuild makes these rows, and so does migration 0030's fill of an upgraded database
    assert practitioner_counts_rebuild() == 4
    assert _kept() == expected == _recomputed()
    DeploymentPractitionerCount.objects.all().delete()
    import_module("apps.deployments.migrations.0030_practitioner_counts").backfill(django_apps, None)
    assert _kept() == expected
