"""Who may do what to one deployment: segregation of duties inside actor_capacities (so page, API and service
agree), and the one "may rate" rule."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.permissions import actor_capacities, available_transitions, may_rate, may_rate_now
from apps.deployments.services import Context, deployment_transition, feedback_submit
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory, plan, soon

pytestmark = pytest.mark.django_db

APPROVE, REJECT = workflow.TRANSITIONS["approve"], workflow.TRANSITIONS["reject"]
FORM = 'data-testid="feedback-form"'


def _owner_requests_production(world):
    """The service owner requests and submits a production deployment of their own service, whose stage asks for
    the service owner's sign-off."""
    DeploymentFactory(
        service=world.service,
        environment=world.env_staging,
        status=Status.COMPLETED,
        versions=[world.version_1],
        actual_end=soon(-5),
        planned_start=soon(-5),
        planned_end=soon(-4),
    )
    owner = world.users["service_owner"]
    d = plan(
        requester=owner,
        service=world.service,
        environment=world.env_prod,
        versions=[world.version_1],
        model=world.model,
        start=soon(3),
    )
    return deployment_transition(ctx=Context(actor=owner), deployment=d, transition="submit")


def test_a_requester_who_owns_the_service_has_no_capacity_to_approve(world):
    # given a pending deployment requested by an owner of its service, on a stage that asks for sign-off
    d = _owner_requests_production(world)
    owner = world.users["service_owner"]
    assert d.stage.requires_service_owner_approval
    # when we ask in which capacities they may approve or reject
    # then segregation of duties leaves none to approve, and the sign-off to reject
    assert actor_capacities(owner, d, APPROVE) == set()
    assert actor_capacities(owner, d, REJECT) == {workflow.SIGNOFF}
    assert [t.name for t in available_transitions(owner, d)] == ["reject", "cancel"]


def test_the_page_shows_no_approve_button_to_a_requester_who_owns_the_service(client, world):
    # given the same deployment
    d = _owner_requests_production(world)
    client.force_login(world.users["service_owner"])
    # when its requester opens its page
    html = client.get(reverse("deployments:deployment_detail", args=[d.pk])).content.decode()
    # then there is no Approve button, and a Reject one (they still sign off)
    assert 'data-testid="transition-approve"' not in html
    assert 'data-testid="transition-reject"' in html


def test_the_service_refuses_the_approval_the_page_does_not_offer(world):
    # given the same deployment
    d = _owner_requests_production(world)
    events = d.events.count()
    # when its requester approves through the service, then segregation of duties refuses and nothing changes
    with pytest.raises(PermissionDenied) as refused:
        deployment_transition(ctx=Context(actor=world.users["service_owner"]), deployment=d, transition="approve")
    assert str(refused.value) == "Segregation of duties: the requester of a deployment cannot approve it."
    d.refresh_from_db()
    assert (d.status, d.approvals.count(), d.events.count()) == (Status.PENDING_APPROVAL, 0, events)


def test_a_manager_who_requested_has_no_capacity_to_approve_or_reject(world):
    # given a pending deployment a deployment manager requested
    manager = world.users["manager"]
    d = DeploymentFactory(status=Status.PENDING_APPROVAL, requester=manager)
    # then the manager may neither approve nor reject it, but may still cancel it
    assert actor_capacities(manager, d, APPROVE) == set()
    assert actor_capacities(manager, d, REJECT) == set()
    assert [t.name for t in available_transitions(manager, d)] == ["cancel"]
    with pytest.raises(PermissionDenied, match="^Segregation of duties: the requester of a deployment cannot reject"):
        deployment_transition(ctx=Context(actor=manager), deployment=d, transition="reject", comment="no")


def test_another_manager_may_approve(world):
    # given a pending deployment someone else requested
    d = DeploymentFactory(status=Status.PENDING_APPROVAL)
    # then a deployment manager may approve and reject it as a manager
    assert actor_capacities(world.users["manager"], d, APPROVE) == {workflow.MANAGER}
    assert actor_capacities(world.users["manager"], d, REJECT) == {workflow.MANAGER}


@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("requester", Status.COMPLETED, True),
        ("service_owner", Status.COMPLETED, True),
        ("manager", Status.COMPLETED, False),
        ("practitioner", Status.COMPLETED, False),
        ("requester", Status.VERIFYING, False),
        ("requester", Status.FAILED, False),
    ],
)
def test_may_rate_now(world, who, status, expected):
    # given a deployment of the world's service requested by the product owner
    d = DeploymentFactory(service=world.service, status=status, requester=world.users["product_owner"])
    user = world.users["product_owner" if who == "requester" else who]
    # then only its requester and the service's owners rate it (may_rate, asked before a body is read), once it is
    # completed (may_rate_now)
    assert may_rate(user, d) is (who in ("requester", "service_owner"))
    assert may_rate_now(user, d) is expected


def test_a_manager_who_requested_an_unfinished_deployment_may_not_rate_it(world):
    # given a deployment a manager requested that is still being verified
    manager = world.users["manager"]
    d = DeploymentFactory(service=world.service, status=Status.VERIFYING, requester=manager)
    # when they rate it, then it is refused as the page refuses it, and nothing is written
    assert (may_rate(manager, d), may_rate_now(manager, d)) == (True, False)
    with pytest.raises(ConflictError, match="^Only completed deployments are rated.$"):
        feedback_submit(ctx=Context(actor=manager), deployment=d, rating_lead_time=5, rating_quality=5)
    assert d.feedback.count() == 0


def test_the_rating_form_shows_exactly_when_the_service_accepts(client, world):
    # given a completed deployment the product owner requested, and a stranger
    d = DeploymentFactory(service=world.service, status=Status.COMPLETED, requester=world.users["product_owner"])
    url = reverse("deployments:deployment_detail", args=[d.pk])
    client.force_login(world.users["manager"])
    # then a manager (not the requester) sees no rating form and is refused by the service
    assert FORM not in client.get(url).content.decode()
    with pytest.raises(PermissionDenied):
        feedback_submit(ctx=Context(actor=world.users["manager"]), deployment=d, rating_lead_time=4, rating_quality=4)
    # and the requester sees it until they have rated
    client.force_login(world.users["product_owner"])
    assert FORM in client.get(url).content.decode()
    feedback_submit(ctx=Context(actor=world.users["product_owner"]), deployment=d, rating_lead_time=4, rating_quality=5)
    assert FORM not in client.get(url).content.decode()


def test_a_stranger_has_no_capacity_at_all(world):
    d = DeploymentFactory(status=Status.PENDING_APPROVAL)
    assert actor_capacities(UserFactory(), d, APPROVE) == set()
