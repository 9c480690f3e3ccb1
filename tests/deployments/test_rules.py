"""The rules that look at the rest of the world, read in a constant number of queries however many versions."""

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.deployments import rules
from apps.deployments.models import Action, Deployment
from apps.deployments.selectors.page import deployment_get
from apps.deployments.workflow import Status
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.plans import scans_with_conditions

pytestmark = pytest.mark.django_db


def _done(w, environment, versions, *, days_ago: int, action=Action.DEPLOY):
    end = soon(-days_ago)
    return DeploymentFactory(
        service=w.service,
        environment=environment,
        status=Status.COMPLETED,
        action=action,
        versions=versions,
        planned_start=end - dt.timedelta(hours=1),
        planned_end=end,
        actual_end=end,
    )


def test_current_versions_are_the_last_completed_per_component(world):
    # given shop-web 1.0.0 then 1.1.0 completed in test, a second component deployed then removed, 1.1.0 also in
    # staging and a third component never deployed to test
    removed = ComponentVersionFactory(component__service=world.service, version="4.0")
    never = ComponentVersionFactory(component__service=world.service, version="9.9")
    _done(world, world.env_test, [world.version_1], days_ago=30)
    _done(world, world.env_test, [world.version_2, removed], days_ago=20)
    _done(world, world.env_test, [removed], days_ago=10, action=Action.REMOVE)
    _done(world, world.env_staging, [world.version_1], days_ago=5)
    # when the current versions in test are read
    current = rules.current_versions_in(
        environment=world.env_test,
        component_ids=[world.component.pk, removed.component_id, never.component_id],
    )
    # then each component has its last completed version, a removed one None, and one never deployed is absent
    assert current == {world.component.pk: "1.1.0", removed.component_id: None}


def test_promotion_gaps_name_each_version_missing_from_the_previous_stage(world):
    # given a deployment into staging (stage 2) of two versions, one of them completed in test (stage 1)
    other = ComponentVersionFactory(component__service=world.service, version="2.0")
    _done(world, world.env_test, [world.version_2], days_ago=3)
    d = DeploymentFactory(
        service=world.service,
        environment=world.env_staging,
        model=world.model,
        stage=world.stage_staging,
        status=Status.PENDING_APPROVAL,
        versions=[world.version_2, other],
    )
    # then only the other version is a gap
    gaps = rules.promotion_gaps(d)
    assert gaps == [
        f"{other.component.name} 2.0 has no completed deployment in {world.env_test} (the previous stage of "
        f"{world.model})."
    ]


@pytest.mark.parametrize("versions", [1, 4])
def test_conflicts_and_gaps_read_a_constant_number_of_queries(world, django_assert_num_queries, versions):
    # given a pending deployment into staging with n versions, each older than one completed there
    newer = [ComponentVersionFactory(component__service=world.service, version="5.0") for _ in range(versions)]
    older = [ComponentVersionFactory(component=v.component, version="1.0") for v in newer]
    _done(world, world.env_staging, newer, days_ago=2)
    d = DeploymentFactory(
        service=world.service,
        environment=world.env_staging,
        model=world.model,
        stage=world.stage_staging,
        status=Status.PENDING_APPROVAL,
        versions=older,
        practitioners=[world.users["practitioner"]],
    )
    # read as its page reads it (versions and practitioners prefetched)
    d = deployment_get(user=world.users["manager"], pk=d.pk)
    # when its conflicts are read: environment busy, components busy, freezes, practitioners busy and the current
    # versions, one query each (staging needs no maintenance window)
    with django_assert_num_queries(5):
        conflicts = rules.deployment_conflicts(d)
    # then every version is a downgrade
    assert sum(c.code == "downgrade" for c in conflicts) == versions
    # and the promotion gaps read the previous stage and the versions completed there
    with django_assert_num_queries(2):
        assert len(rules.promotion_gaps(d)) == versions


def _booked(w, environment, versions, start, hours: float, **extra):
    return DeploymentFactory(
        service=w.service,
        environment=environment,
        status=Status.APPROVED,
        versions=versions,
        planned_start=start,
        planned_end=start + dt.timedelta(hours=hours),
        **extra,
    )


def test_a_booking_that_started_long_before_a_plan_still_overlaps_it(world):
    # given a three-day booking of production, with shop-web and a practitioner, started two days before a plan's
    # window, and another that ended just before it
    p = world.users["practitioner"]
    start = soon(10)
    long = _booked(world, world.env_prod, [world.version_1], start - dt.timedelta(days=2), 72, practitioners=[p])
    _booked(world, world.env_prod, [world.version_1], start - dt.timedelta(hours=5), 5, practitioners=[p])
    # when the plan's conflicts are read
    conflicts = rules.plan_conflicts(
        environment=world.env_prod,
        start=start,
        end=start + dt.timedelta(hours=1),
        versions=[world.version_2],
        practitioners=[p],
    )
    # then the long booking holds the environment, the component and the practitioner, and the other none of them
    assert sorted((c.code, c.other) for c in conflicts if c.other) == [
        ("component_busy", long.reference),
        ("environment_busy", long.reference),
        ("practitioner_busy", long.reference),
    ]
    # and a booking made longer a moment ago is found at once (the longest window is read with the overlaps)
    earlier = _booked(world, world.env_staging, [world.version_1], start - dt.timedelta(days=9), 24 * 9 + 0.5)
    conflicts = rules.plan_conflicts(
        environment=world.env_test, start=start, end=start + dt.timedelta(hours=1), versions=[world.version_2]
    )
    assert {c.other for c in conflicts if c.code == "component_busy"} == {long.reference, earlier.reference}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_overlaps_of_a_plan_read_the_bookings_of_its_window_not_every_booking(world):
    # given bookings of two hours, one a day over the forty days before a plan's window and the forty after it, and
    # one in it: by either end of the window alone an index would read forty of them
    start = soon(3)
    for day in (*range(-40, 0), *range(1, 41)):
        _booked(world, world.env_test, [world.version_1], start + dt.timedelta(days=day), 2)
    inside = _booked(world, world.env_staging, [world.version_1], start, 2)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Deployment._meta.db_table}")
    with CaptureQueriesContext(connection) as ctx:
        found = rules.plan_conflicts(
            environment=world.env_test, start=start, end=start + dt.timedelta(hours=1), versions=[world.version_2]
        )
    assert [c.other for c in found if c.code == "component_busy"] == [inside.reference]
    overlaps = [q["sql"] for q in ctx.captured_queries if "catalog_servicecomponent" in q["sql"]]
    # when PostgreSQL runs the components' overlaps by an index (a table this small it would otherwise read whole)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {overlaps[0]}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def read(node) -> int:
        """The bookings the plan read (returned or filtered out), besides the longest window's one index entry."""
        own = 0
        if node.get("Relation Name") == Deployment._meta.db_table and node.get("Index Name") != "dep_window_length":
            own = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        return own + sum(read(child) for child in node.get("Plans", []))

    # then it reads the bookings that start within the longest window before the plan's start, and none other
    assert read(plan[0]["Plan"]) == 1, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_a_plans_overlaps_never_read_the_bookings_by_their_end(world):
    # given bookings starting within the longest window before a plan's in production (which allows no parallel
    # deployments): one overlapping it, with shop-web and a practitioner, and three that end before it
    p = world.users["practitioner"]
    assert not world.env_prod.allows_parallel_deployments
    start = soon(3)
    inside = _booked(world, world.env_prod, [world.version_1], start - dt.timedelta(hours=1), 2, practitioners=[p])
    for hours in (3, 2.5, 1.5):
        _booked(world, world.env_prod, [world.version_1], start - dt.timedelta(hours=hours), 1, practitioners=[p])
    with CaptureQueriesContext(connection) as ctx:
        found = rules.plan_conflicts(
            environment=world.env_prod,
            start=start,
            end=start + dt.timedelta(hours=1),
            versions=[world.version_2],
            practitioners=[p],
        )
    assert sorted((c.code, c.other) for c in found if c.other) == [
        ("component_busy", inside.reference),
        ("environment_busy", inside.reference),
        ("practitioner_busy", inside.reference),
    ]
    overlaps = [q["sql"] for q in ctx.captured_queries if '"planned_start" <' in q["sql"]]
    assert len(overlaps) == 3  # the environment's, the components' and the practitioners'
    for sql in overlaps:
        # when PostgreSQL plans each with the planned windows' index by their end as its only way in (and the
        # windows' lengths' for the longest)
        scans = scans_with_conditions(
            sql, None, table=Deployment._meta.db_table, indexes=("dep_window_length", "dep_planned_env_end")
        )
        # then the end is never what the bookings are read by: PostgreSQL cannot tell that nearly every planned
        # deployment is still to end, and would read an environment's every booking after the window
        assert [s for s in scans if s[0] != "Seq Scan" and s[2] != "dep_window_length" and "planned_end" in s[3]] == []
        # and with the planned start's index there, the bookings are read by their start
        scans = scans_with_conditions(
            sql, None, table=Deployment._meta.db_table, indexes=("dep_window_length", "dep_status_start")
        )
        by_start = [s for s in scans if s[2] == "dep_status_start"]
        assert by_start and all("planned_start" in s[3] for s in by_start), scans
