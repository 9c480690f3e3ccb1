"""The rules that look at the rest of the world, read in a constant number of queries however many versions."""

import datetime as dt

import pytest

from apps.deployments import rules
from apps.deployments.models import Action
from apps.deployments.selectors.page import deployment_get
from apps.deployments.workflow import Status
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, soon

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
