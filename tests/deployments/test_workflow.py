"""Table test of the state machine: every (status × transition) pair against workflow.TRANSITIONS."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context as TemplateContext
from django.template import Template

from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import DeploymentEvent
from apps.deployments.services import Context, deployment_transition
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

PAIRS = [(status, name) for status in Status.values for name in workflow.TRANSITIONS]


@pytest.mark.parametrize(("status", "transition"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_every_status_and_transition(status, transition):
    # given a deployment in `status` and a deployment manager who did not request it
    manager = UserFactory(roles=["manager"])
    deployment = DeploymentFactory(status=status)
    events_before = DeploymentEvent.objects.filter(deployment=deployment).count()
    spec = workflow.TRANSITIONS[transition]
    ctx = Context(actor=manager)
    # a system transition (replan) is taken by a service on behalf of the person whose change caused it
    system = not spec.by_people
    if status in spec.sources:
        # when the table allows it, then the deployment moves to the table's target
        result = deployment_transition(
            ctx=ctx, deployment=deployment, transition=transition, comment="table test", system=system
        )
        assert result.status == spec.target
        deployment.refresh_from_db()
        assert deployment.status == spec.target
        assert deployment.version == 2
        event = DeploymentEvent.objects.filter(deployment=deployment, kind="transition").latest("id")
        assert (event.from_status, event.to_status, event.actor) == (status, spec.target, manager)
    else:
        # when the table does not allow it, then it is refused and nothing changes
        with pytest.raises(ConflictError) as refused:
            deployment_transition(
                ctx=ctx, deployment=deployment, transition=transition, comment="table test", system=system
            )
        assert refused.value.code == "invalid_transition"
        deployment.refresh_from_db()
        assert deployment.status == status
        assert deployment.version == 1
        assert DeploymentEvent.objects.filter(deployment=deployment).count() == events_before


def test_final_states_have_no_way_out():
    for status in workflow.FINAL:
        assert workflow.transitions_from(status) == []
    assert [t.name for t in workflow.transitions_from(Status.FAILED)] == ["roll-back"]


def test_the_table_matches_the_contract():
    assert {name: (sorted(t.sources), t.target) for name, t in workflow.TRANSITIONS.items()} == {
        "submit": (["draft"], "pending_approval"),
        "approve": (["pending_approval"], "approved"),
        "reject": (["pending_approval"], "rejected"),
        "revise": (["rejected"], "draft"),
        "start": (["approved"], "verifying_components"),
        "confirm-components": (["verifying_components"], "verifying_environment"),
        "confirm-environment": (["verifying_environment"], "executing"),
        "finish-execution": (["executing"], "verifying"),
        "complete": (["verifying"], "completed"),
        "fail": (sorted(["verifying_components", "verifying_environment", "executing", "verifying"]), "failed"),
        "roll-back": (["failed"], "rolled_back"),
        "cancel": (["approved", "draft", "pending_approval"], "cancelled"),
        "replan": (["approved"], "pending_approval"),
    }
    assert workflow.TRANSITIONS["replan"].actors == (workflow.SYSTEM,)
    assert [t.name for t in workflow.TRANSITIONS.values() if not t.by_people] == ["replan"]


def test_each_status_has_one_label_as_plain_text_for_every_page():
    # the register's badges, the status filter and the calendar's chips all draw these
    assert workflow.STATUS_LABEL == {
        "draft": "Draft",
        "pending_approval": "Pending approval",
        "approved": "Approved",
        "rejected": "Rejected",
        "verifying_components": "Verifying components",
        "verifying_environment": "Verifying environment",
        "executing": "Executing",
        "verifying": "Verifying deployment",
        "completed": "Completed",
        "failed": "Failed",
        "rolled_back": "Rolled back",
        "cancelled": "Cancelled",
    }
    assert all(type(key) is str and type(label) is str for key, label in workflow.STATUS_LABEL.items())
    template = Template("{% load deployments_tags %}{{ status|status_label }}")
    rendered = template.render(TemplateContext({"status": "verifying"}))
    assert rendered == "Verifying deployment"


@pytest.mark.parametrize("transition", [t.name for t in workflow.people_transitions()])
def test_the_system_takes_no_transition_of_people(transition):
    # given a deployment in a source status of a transition that people take
    spec = workflow.TRANSITIONS[transition]
    deployment = DeploymentFactory(status=spec.sources[0])
    # when a service tries to take it as the system, then it is refused and nothing changes
    with pytest.raises(PermissionDenied):
        deployment_transition(
            ctx=Context(actor=UserFactory(roles=["manager"])),
            deployment=deployment,
            transition=transition,
            comment="x",
            system=True,
        )
    deployment.refresh_from_db()
    assert (deployment.status, deployment.version) == (spec.sources[0], 1)


def test_nobody_takes_the_replan_transition_by_hand():
    # given an approved deployment and a deployment manager who did not request it
    manager = UserFactory(roles=["manager"])
    deployment = DeploymentFactory(status=Status.APPROVED)
    # when the manager asks for the system's transition, then it is refused and nothing changes
    with pytest.raises(PermissionDenied) as refused:
        deployment_transition(ctx=Context(actor=manager), deployment=deployment, transition="replan")
    assert str(refused.value) == f"You may not send back for approval {deployment.reference}."
    deployment.refresh_from_db()
    assert (deployment.status, deployment.version) == (Status.APPROVED, 1)
    assert not DeploymentEvent.objects.filter(deployment=deployment, kind="transition").exists()
