"""Reads of the deployments app that other pages show: the planned deployments a window meets (its preview)."""

import datetime as dt

import pytest

from apps.deployments.selectors.page import deployment_linked_ids
from apps.deployments.selectors.work import window_preview
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


def test_window_preview_lists_the_planned_deployments_a_freeze_blocks(world):
    # given the world's freeze on production, an approved deployment inside it and a draft one
    inside = DeploymentFactory(
        environment=world.env_prod,
        status=Status.APPROVED,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
    )
    DeploymentFactory(
        environment=world.env_prod,
        status=Status.DRAFT,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
    )
    # when a deployment manager previews the freeze
    preview = window_preview(window=world.freeze, user=world.users["manager"])
    # then its one occurrence lists the planned deployment, not the draft, and hides nothing
    assert [(r.start, r.end) for r in preview["rows"]] == [(world.freeze.start, world.freeze.end)]
    assert [d.pk for d in preview["rows"][0].deployments] == [inside.pk]
    assert preview["hidden"] == 0


def test_window_preview_counts_what_the_user_may_not_see(world):
    # given an approved deployment inside the freeze and a user who may not see it
    DeploymentFactory(
        environment=world.env_prod,
        status=Status.APPROVED,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
    )
    stranger = UserFactory(roles=["product_owner"])
    # when they preview the freeze
    preview = window_preview(window=world.freeze, user=stranger)
    # then the deployment is counted, not listed
    assert preview["rows"][0].deployments == []
    assert preview["hidden"] == 1


@pytest.mark.parametrize("role", ["service_owner", "product_owner"])
def test_window_preview_lists_what_the_owners_of_its_service_may_open(world, role):
    # given an approved deployment of the world's service inside the freeze, which its owners may open
    inside = DeploymentFactory(
        environment=world.env_prod,
        service=world.service,
        status=Status.APPROVED,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
    )
    # when the service's owner (or product owner) previews the freeze
    preview = window_preview(window=world.freeze, user=world.users[role])
    # then it is listed, as on their register, not counted as hidden
    assert [d.pk for d in preview["rows"][0].deployments] == [inside.pk]
    assert preview["hidden"] == 0


def test_linked_ids_come_in_one_query_in_the_order_all_gives(world, django_assert_num_queries):
    from tests.factories.catalog import ComponentVersionFactory

    # given deployments whose practitioners were created out of their user names' order, and several versions each
    zed, amy, bob = (UserFactory(username=name) for name in ("zed", "amy", "bob"))
    deployments = [
        DeploymentFactory(
            service=world.service,
            environment=world.env_test,
            practitioners=people,
            versions=[ComponentVersionFactory(component__service=world.service) for _ in range(n)],
        )
        for people, n in (([zed, amy, bob], 3), ([bob], 1), ([], 0))
    ]
    # when their linked ids are read, it takes one query
    with django_assert_num_queries(1):
        deployment_linked_ids(deployments=deployments)
    # then each list holds the ids .all() gives, in its order
    for d in deployments:
        assert d.linked_ids == {
            "component_versions": [v.pk for v in d.component_versions.all()],
            "practitioners": [u.pk for u in d.practitioners.all()],
        }
    assert deployments[0].linked_ids["practitioners"] == [amy.pk, bob.pk, zed.pk]
    # and no deployments read nothing
    with django_assert_num_queries(0):
        deployment_linked_ids(deployments=[])
