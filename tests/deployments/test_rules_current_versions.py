"""The versions in place (`rules.current_versions_in`): the order it ranks a component's deployments in (the
matrix's: latest end first, none counting as oldest, then the highest id), read in one query."""

import datetime as dt

import pytest
from django.db import connection

from apps.core.db import prepares
from apps.deployments import rules
from apps.deployments.models import Action
from apps.deployments.rules.conflicts import _current_versions_query
from apps.deployments.workflow import Status
from tests.factories.catalog import ComponentFactory, ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.prepared import plans_of

pytestmark = pytest.mark.django_db

DONE, FAILED, ROLLED_BACK, APPROVED = Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK, Status.APPROVED
DEPLOY, REMOVE = Action.DEPLOY, Action.REMOVE
TEST, STAGING = "test", "staging"
OTHER = "other"  # a version of another component of the same service

# (what it pins, the component's history in creation order (so in id order) as (version, environment, status,
# action, days ago it ended or None), the version in place in test: a string, None (removed) or "absent")
CASES = [
    ("the later end wins", [("2.0", TEST, DONE, DEPLOY, 2), ("1.0", TEST, DONE, DEPLOY, 3)], "2.0"),
    ("on equal ends the higher id wins", [("2.0", TEST, DONE, DEPLOY, 2), ("1.5", TEST, DONE, DEPLOY, 2)], "1.5"),
    (
        "a tie with a deployment of another component of the service is walked past",
        [("3.0", TEST, DONE, DEPLOY, 5), ("2.0", TEST, DONE, DEPLOY, 2), (OTHER, TEST, DONE, DEPLOY, 2)],
        "2.0",
    ),
    ("a later removal leaves nothing", [("1.0", TEST, DONE, DEPLOY, 5), ("1.0", TEST, DONE, REMOVE, 2)], None),
    ("a redeployment after a removal", [("1.0", TEST, DONE, REMOVE, 5), ("2.0", TEST, DONE, DEPLOY, 2)], "2.0"),
    (
        "a removal with a lower id on an equal end loses",
        [("1.0", TEST, DONE, REMOVE, 2), ("1.2", TEST, DONE, DEPLOY, 2)],
        "1.2",
    ),
    (
        "other environments and statuses do not count",
        [
            ("1.0", TEST, DONE, DEPLOY, 9),
            ("2.0", TEST, FAILED, DEPLOY, 4),
            ("2.1", TEST, ROLLED_BACK, DEPLOY, 3),
            ("3.0", TEST, APPROVED, DEPLOY, None),
            ("4.0", STAGING, DONE, DEPLOY, 1),
            ("4.0", STAGING, DONE, REMOVE, 0),
        ],
        "1.0",
    ),
    (
        "a completed deployment without an end counts as the oldest",
        [("1.0", TEST, DONE, DEPLOY, 9), ("9.0", TEST, DONE, DEPLOY, None), ("9.1", TEST, DONE, REMOVE, None)],
        "1.0",
    ),
    ("without ends the higher id wins", [("1.0", TEST, DONE, DEPLOY, None), ("0.9", TEST, DONE, DEPLOY, None)], "0.9"),
    ("without ends a later removal", [("1.0", TEST, DONE, DEPLOY, None), ("1.0", TEST, DONE, REMOVE, None)], None),
    (
        "only other environments and statuses",
        [("1.0", STAGING, DONE, DEPLOY, 2), ("1.0", TEST, FAILED, DEPLOY, 1)],
        "absent",
    ),
]


def _history(w, component, steps) -> None:
    other = ComponentFactory(service=component.service)
    environments = {TEST: w.env_test, STAGING: w.env_staging}
    made = {}
    base = soon(-1)
    for version, environment, status, action, days_ago in steps:
        key = (other if version == OTHER else component, version)
        if key not in made:
            made[key] = ComponentVersionFactory(component=key[0], version=version)
        end = None if days_ago is None else base - dt.timedelta(days=days_ago)
        DeploymentFactory(
            service=component.service,
            environment=environments[environment],
            status=status,
            action=action,
            versions=[made[key]],
            planned_start=(end or base) - dt.timedelta(hours=1),
            planned_end=end or base,
            actual_end=end,
        )


@pytest.mark.parametrize(("pinned", "steps", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_version_in_place_is_the_last_completed_in_the_matrix_order(world, pinned, steps, expected):
    # given a component with this history
    component = ComponentFactory(service=world.service)
    _history(world, component, steps)
    # when the versions in place in test are read
    current = rules.current_versions_in(environment=world.env_test, component_ids=[component.pk])
    # then the component has the expected version, None when removed, or none at all
    assert current == ({} if expected == "absent" else {component.pk: expected})


def test_on_equal_ends_the_higher_id_wins_whichever_was_written_first(world):
    # given two completed deployments in test ending at the same time, the one with the higher id written first (so
    # that the order the rows were written in, which an index keeps equal keys in, is not the ids' order)
    component = ComponentFactory(service=world.service)
    end = soon(-2)
    for pk, version in ((9_000_002, "1.5"), (9_000_001, "2.0")):
        DeploymentFactory(
            pk=pk,
            service=world.service,
            environment=world.env_test,
            status=DONE,
            versions=[ComponentVersionFactory(component=component, version=version)],
            planned_start=end - dt.timedelta(hours=1),
            planned_end=end,
            actual_end=end,
        )
    # when the versions in place in test are read
    current = rules.current_versions_in(environment=world.env_test, component_ids=[component.pk])
    # then the higher id's version is in place
    assert current == {component.pk: "1.5"}


def test_a_deployment_naming_two_versions_of_a_component_places_the_first_as_the_matrix_does(world):
    # given a completed deployment in test naming two versions of one component, the first written 2.0
    component = ComponentFactory(service=world.service)
    first, second = (ComponentVersionFactory(component=component, version=v) for v in ("2.0", "1.0"))
    DeploymentFactory(
        service=world.service, environment=world.env_test, status=DONE, versions=[second, first], actual_end=soon(-2)
    )
    # when the versions in place in test are read
    current = rules.current_versions_in(environment=world.env_test, component_ids=[component.pk])
    # then the first version is in place
    assert current == {component.pk: "2.0"}


def test_the_versions_of_several_components_and_services_are_read_in_one_query(world, django_assert_num_queries):
    # given every case's history on a component of its own, one of every other case on the other service, and a
    # deployment in test naming two of the components together, later than the histories but 1.0 for both
    components = []
    for n, (_pinned, steps, _expected) in enumerate(CASES):
        component = ComponentFactory(service=world.other_service if n % 2 else world.service)
        _history(world, component, steps)
        components.append(component)
    web, api = ComponentFactory(service=world.service), ComponentFactory(service=world.service)
    _history(world, web, [("0.1", TEST, DONE, DEPLOY, 5)])
    DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        status=DONE,
        versions=[ComponentVersionFactory(component=c, version="1.0") for c in (web, api)],
        actual_end=soon(-1),
    )
    never = ComponentFactory(service=world.service)
    ids = [c.pk for c in (*components, web, api, never)]
    rules.current_versions_in(environment=world.env_test, component_ids=ids)  # its text is made once per process
    # when they are read together
    with django_assert_num_queries(1):
        current = rules.current_versions_in(environment=world.env_test, component_ids=ids)
    # then each has its case's version, the two named together 1.0, and the one never deployed none
    expected = {c.pk: e for c, (_p, _s, e) in zip(components, CASES, strict=True) if e != "absent"}
    assert current == {**expected, web.pk: "1.0", api.pk: "1.0"}


def _generic_plans(text: str) -> int:
    """How many times PostgreSQL ran the statement of this text prepared on the connection by its generic plan."""
    rows = plans_of(text, "generic_plans")
    return rows[0][0] if rows else 0


def test_the_prepared_query_answers_every_case_by_postgresqls_generic_plan(world):
    """The query is prepared on each connection (its conditions are equalities): PostgreSQL may run it by one generic
    plan for any values, which must answer each case as the plan made for its values does."""
    # given every case's history on a component of its own
    components = []
    for _pinned, steps, _expected in CASES:
        component = ComponentFactory(service=world.service)
        _history(world, component, steps)
        components.append(component)
    text = _current_versions_query("default", 1).sql
    generic_before = _generic_plans(text) if prepares(connection) else 0
    for mode in ("force_custom_plan", "force_generic_plan"):
        if prepares(connection):
            with connection.cursor() as cursor:
                cursor.execute(f"SET plan_cache_mode = {mode}")
        try:
            # when each component's version in place is read on its own, by the plan for its values, then by the
            # generic plan
            for component, (pinned, _steps, expected) in zip(components, CASES, strict=True):
                current = rules.current_versions_in(environment=world.env_test, component_ids=[component.pk])
                # then each answer is the case's
                assert current == ({} if expected == "absent" else {component.pk: expected}), (mode, pinned)
        finally:
            if prepares(connection):
                with connection.cursor() as cursor:
                    cursor.execute("RESET plan_cache_mode")
    if prepares(connection):
        # and on PostgreSQL the statement was prepared, and run by its generic plan for the second round
        assert _generic_plans(text) == generic_before + len(CASES)
