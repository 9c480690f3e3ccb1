"""Table test of the state machine: every (status × transition) pair against workflow.TRANSITIONS."""

import pytest

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
    if status in spec.sources:
        # when the table allows it, then the deployment moves to the table's target
        result = deployment_transition(ctx=ctx, deployment=deployment, transition=transition, comment="table test")
        assert result.status == spec.target
        deployment.refresh_from_db()
        assert deployment.status == spec.target
        assert deployment.version == 2
        event = DeploymentEvent.objects.filter(deployment=deployment, kind="transition").latest("id")
        assert (event.from_status, event.to_status, event.actor) == (status, spec.target, manager)
    else:
        # when the table does not allow it, then it is refused and nothing changes
        with pytest.raises(ConflictError) as refused:
            deployment_transition(ctx=ctx, deployment=deployment, transition=transition, comment="table test")
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
    }
