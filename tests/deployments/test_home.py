"""The deployments' next actions on the home page."""

import pytest

from apps.deployments.home import next_actions
from apps.deployments.services import Context, deployment_transition, feedback_submit
from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


def titles(user) -> dict:
    return {a.title: a.count for a in next_actions(user)}


def test_manager_sees_pending_approvals(world):
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    assert titles(world.users["manager"])["Deployments awaiting my approval"] == 1


def test_practitioner_sees_their_work(world):
    assert titles(world.users["practitioner"])["My work"] == 1


def test_product_owner_sees_open_requests_and_ratings_to_give(world):
    # given two completed deployments the product owner requested, one already rated
    done = [
        DeploymentFactory(status=Status.COMPLETED, service=world.service, requester=world.users["product_owner"])
        for _ in range(2)
    ]
    feedback_submit(
        ctx=Context(actor=world.users["product_owner"]), deployment=done[0], rating_lead_time=4, rating_quality=4
    )
    actions = {a.title: a for a in next_actions(world.users["product_owner"])}
    assert actions["My open requests"].count == 2  # w.draft and w.deployment
    assert actions["Rate completed deployments"].count == 1
    assert done[1].reference in actions["Rate completed deployments"].detail
    assert actions["Rate completed deployments"].url.endswith("#feedback")


def test_users_without_work_get_nothing(world):
    assert titles(world.users["auditor"]) == {}


def test_service_owner_rates_deployments_of_their_services_in_bounded_queries(world, django_assert_max_num_queries):
    # given six completed deployments of the owner's service requested by others, one of the owner's own requests
    # (of another service) and one of a service they do not own
    owner = world.users["service_owner"]
    done = [
        DeploymentFactory(status=Status.COMPLETED, service=world.service, requester=world.users["product_owner"])
        for _ in range(6)
    ]
    own = DeploymentFactory(status=Status.COMPLETED, service=world.other_service, requester=owner)
    DeploymentFactory(status=Status.COMPLETED, service=world.other_service)
    feedback_submit(ctx=Context(actor=owner), deployment=done[0], rating_lead_time=4, rating_quality=4)
    # when the owner's next actions are read
    with django_assert_max_num_queries(8):
        actions = {a.title: a for a in next_actions(owner)}
    # then the five shown and the count cover their service's unrated deployments and their own request
    rate = actions["Rate completed deployments"]
    assert rate.count == 6
    assert len(rate.items) == 5 and done[0].reference not in rate.detail
    assert {d.reference for d in [*done[1:], own]} >= {i["title"].split()[0] for i in rate.items}


def test_the_home_page_shows_the_approvals_waiting_once(client, world):
    # given a deployment waiting for the manager's approval
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    client.force_login(world.users["manager"])
    # when the manager opens the home page
    html = client.get("/").content.decode()
    main = html[html.index('<main id="main"') : html.index("</main>")]
    # then one entry, among the next actions, leads to the approval queue, with its count
    assert main.count('href="/deployments/approvals/"') == 1
    assert main.count("awaiting my approval") == 1
    assert 'data-testid="dashboard-pending-approvals"' not in main
