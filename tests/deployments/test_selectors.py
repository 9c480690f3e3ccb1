"""Reads of the deployments app that other pages show: the planned deployments a window meets (its preview)."""

import datetime as dt
import re

import pytest
from django.db import connection

from apps.core.db import prepares
from apps.deployments.models import Deployment
from apps.deployments.selectors.page import PAGE_LISTS, _page_list_query, _page_queries, deployment_linked_ids
from apps.deployments.selectors.visibility import sees_all_deployments
from apps.deployments.selectors.work import window_preview
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory
from tests.prepared import plans_of

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


def _planned(sql: str) -> int | None:
    """How many plans PostgreSQL made for the statement of this text prepared on the connection (None: not prepared)."""
    rows = plans_of(sql)
    return rows[0][0] if rows else None


@pytest.mark.parametrize("role", ["manager", "service_owner"])
def test_a_deployment_pages_look_ups_are_prepared_once_and_read_the_same_page(world, client, role):
    """PostgreSQL spent longer planning the deployment's query (its eight EXISTS and five joins) than running it: the
    page's look-ups by primary key are prepared on the connection once and planned by name afterwards."""
    if not prepares(connection):
        pytest.skip("statements are prepared on PostgreSQL connections that bind on the server")
    # given the world's approved deployment (its manager, practitioner, supplier, versions, approval and timeline),
    # seen by a manager, who sees every deployment, and by its service's owner, through the visibility filter
    user, deployment = world.users[role], world.deployment
    Deployment.objects.filter(pk=deployment.pk).update(manager=world.users["manager"])  # its people are read apart
    client.force_login(user)
    assert sees_all_deployments(user=user) is (role == "manager")  # the two texts of the deployment's query
    queries = _page_queries("default", sees_all_deployments(user=user))
    lists = [name for name in PAGE_LISTS if getattr(deployment, name).exists()]
    texts = {name: queries[name].sql for name in ("deployment", "people", "supplier", "component_versions")}
    texts |= {"practitioners": queries["practitioners"].sql}
    texts |= {name: _page_list_query("default", name).sql for name in lists}
    before = {name: _planned(sql) or 0 for name, sql in texts.items()}  # the connection outlives a test
    # when its page is opened three times
    pages = [client.get(f"/deployments/{deployment.pk}/") for _ in range(3)]
    # then each is the same page, naming the deployment, its practitioner and its supplier
    assert {page.status_code for page in pages} == {200}
    without_tokens = {re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", page.content) for page in pages}
    assert len(without_tokens) == 1
    for shown in (deployment.reference, world.users["practitioner"].username, world.supplier.name):
        assert shown.encode() in pages[0].content
    # and the deployment's query (with the user's visibility filter where they see only part), its people, supplier,
    # versions and practitioners, and each list it has rows in, are prepared statements, planned for each view
    assert {"approvals", "events"} <= set(lists)
    assert {name: _planned(sql) for name, sql in texts.items()} == {name: n + 3 for name, n in before.items()}
