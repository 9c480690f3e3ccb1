"""Tests of apps/deployments/risk/policy.py and risk/services.py through the deployment services: the score stored
when the plan changes, the extra approval of a high score, and the refusal of pre-approval above the limit."""

import pytest

from apps.deployments.models import EventKind
from apps.deployments.readiness import deployment_readiness
from apps.deployments.risk.services import risk_refresh_open
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentFactory, ComponentVersionFactory, ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import plan
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    """An active model with one stage in a test environment; a requester, two managers and a version."""
    env = EnvironmentFactory(name="Test R", allows_parallel_deployments=True)
    model = DeploymentModelFactory(name="Risky", active=True)
    stage = ModelStageFactory(model=model, environment=env, order=1, approvals_required=1)
    service = ServiceFactory()
    version = ComponentVersionFactory(component=ComponentFactory(service=service))
    requester = UserFactory(roles=["manager"])
    return {
        "env": env,
        "model": model,
        "stage": stage,
        "service": service,
        "version": version,
        "requester": requester,
        "managers": [UserFactory(roles=["manager"]), UserFactory(roles=["manager"])],
    }


def _plan(s, **extra):
    return plan(
        requester=s["requester"],
        service=s["service"],
        environment=s["env"],
        versions=[s["version"]],
        model=s["model"],
        **extra,
    )


def test_a_plan_is_scored_when_created_and_rescored_when_it_changes(setup):
    # when a draft is planned: one new version, nobody assigned
    s = setup
    deployment = _plan(s)
    deployment.refresh_from_db()
    # then its score and factors are stored: 15 (new to test environments) + 7.5 (nobody assigned)
    assert deployment.risk_score == 22
    assert deployment.risk_scored_at is not None
    assert [f["factor"] for f in deployment.risk_factors][:2] == ["model_failure_rate", "service_failure_rate"]
    # when the plan grows to five versions
    more = [ComponentVersionFactory(component=ComponentFactory(service=s["service"])) for _ in range(4)]
    deployment = deployment_update(
        ctx=Context(actor=s["requester"]),
        deployment=deployment,
        data={"component_versions": [s["version"], *more]},
        expected_version=deployment.version,
    )
    deployment.refresh_from_db()
    # then it is rescored: + 10 for the size of the change
    assert deployment.risk_score == 32
    assert {f["factor"]: f["contribution"] for f in deployment.risk_factors}["change_size"] == 10.0


def test_a_score_at_the_stage_threshold_asks_for_one_more_approval(setup):
    # given a stage that asks for one approval, and one more from a score of 20
    s = setup
    s["stage"].extra_approval_risk_threshold = 20
    s["stage"].save()
    deployment = _plan(s)
    deployment_transition(ctx=Context(actor=s["requester"]), deployment=deployment, transition="submit")
    deployment.refresh_from_db()
    assert deployment.risk_score == 22
    # when the first manager approves
    first, second = s["managers"]
    deployment = deployment_transition(ctx=Context(actor=first), deployment=deployment, transition="approve")
    # then it stays pending, and the event and the readiness panel say why
    assert deployment.status == Status.PENDING_APPROVAL
    event = deployment.events.filter(kind=EventKind.APPROVAL).last()
    assert "risk score of 22 reaches 20" in event.comment
    assert event.data["approvals_required"] == 2
    approvals = next(i for i in deployment_readiness(deployment=deployment, user=second) if i.code == "approvals")
    assert not approvals.ok
    assert approvals.detail.startswith("1 of 2 required approvals given; 1 more needed. Its risk score of 22")
    # when the second manager approves, it is approved
    deployment = deployment_transition(ctx=Context(actor=second), deployment=deployment, transition="approve")
    assert deployment.status == Status.APPROVED


def test_a_score_below_the_threshold_needs_only_the_stages_approvals(setup):
    # given a threshold above the score
    s = setup
    s["stage"].extra_approval_risk_threshold = 23
    s["stage"].save()
    deployment = _plan(s)
    deployment_transition(ctx=Context(actor=s["requester"]), deployment=deployment, transition="submit")
    # when one manager approves, it is approved
    deployment = deployment_transition(ctx=Context(actor=s["managers"][0]), deployment=deployment, transition="approve")
    assert deployment.status == Status.APPROVED


@pytest.fixture
def pre_approved(setup):
    stage = setup["stage"]
    stage.pre_approved, stage.approvals_required = True, 0
    stage.save()
    return setup


def test_pre_approval_is_refused_above_the_limit_with_an_event_saying_why(pre_approved, settings):
    # given a pre-approved stage and a limit of 20, below the plan's 22
    settings.DEPLOYDESK_PREAPPROVAL_MAX_RISK = 20
    s = pre_approved
    deployment = _plan(s)
    readiness = {i.code: i for i in deployment_readiness(deployment=deployment, user=s["requester"])}
    assert "risk score of 22 is above 20" in readiness["pre_approved"].detail
    # when it is submitted
    deployment = deployment_transition(ctx=Context(actor=s["requester"]), deployment=deployment, transition="submit")
    # then it waits for a manager's approval, and the event says why
    assert deployment.status == Status.PENDING_APPROVAL
    assert deployment.approved_at is None
    event = deployment.events.filter(kind=EventKind.TRANSITION).last()
    assert "Not pre-approved: its risk score of 22 is above 20" in event.comment
    assert "pre_approved_by" not in event.data
    # and one manager's approval approves it
    deployment = deployment_transition(ctx=Context(actor=s["managers"][0]), deployment=deployment, transition="approve")
    assert deployment.status == Status.APPROVED


@pytest.mark.parametrize("limit", [22, None])
def test_pre_approval_holds_at_or_below_the_limit_or_without_one(pre_approved, settings, limit):
    # given a limit the score does not exceed (or none)
    settings.DEPLOYDESK_PREAPPROVAL_MAX_RISK = limit
    s = pre_approved
    # when it is submitted, it is approved at once
    deployment = deployment_transition(ctx=Context(actor=s["requester"]), deployment=_plan(s), transition="submit")
    assert deployment.status == Status.APPROVED


def test_the_nightly_refresh_rescores_open_deployments_only(setup):
    # given an open draft and a cancelled one whose stored scores are stale
    s = setup
    open_one, cancelled = _plan(s), _plan(s)
    deployment_transition(
        ctx=Context(actor=s["requester"]), deployment=cancelled, transition="cancel", comment="Not needed"
    )
    type(open_one).objects.filter(pk__in=[open_one.pk, cancelled.pk]).update(risk_score=99)
    # when the refresh runs
    counts = risk_refresh_open()
    # then the open one is rescored and the cancelled one left as it was
    open_one.refresh_from_db()
    cancelled.refresh_from_db()
    assert counts == {"scored": 1, "changed": 1}
    assert (open_one.risk_score, cancelled.risk_score) == (22, 99)
