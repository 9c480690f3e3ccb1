"""The readiness selector: each gate of the next transition, passed and not, and that it agrees with the service."""

import datetime as dt

import pytest

from apps.core.exceptions import ConflictError
from apps.deployments.models import Check, CheckKind, CheckResult
from apps.deployments.readiness import deployment_readiness
from apps.deployments.services import Context, deployment_transition
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, plan
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory, MaintenanceWindowFactory

pytestmark = pytest.mark.django_db

WEDNESDAY_NOON = dt.datetime(2030, 1, 9, 12, 0, tzinfo=dt.UTC)  # outside the factories' Saturday-night window


def gates(deployment, user, **kwargs) -> dict:
    """{code: (ok, detail)} of the deployment's readiness for `user`."""
    return {i.code: (i.ok, i.detail) for i in deployment_readiness(deployment=deployment, user=user, **kwargs)}


def to_production(w, *, start=None, promoted=True):
    """A pending deployment of w.version_2 to production (two approvals, one of a service owner), clear of the
    world's freeze, its version completed in staging (the previous stage) unless not `promoted`."""
    if promoted:
        DeploymentFactory(service=w.service, environment=w.env_staging, status=Status.COMPLETED, versions=[w.version_2])
    d = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_prod,
        versions=[w.version_2],
        model=w.model,
        start=start or w.freeze.start - dt.timedelta(days=4),
    )
    deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=d, transition="submit")
    d.refresh_from_db()
    return d


# --- submit -----------------------------------------------------------------------------------------------------


def test_a_complete_draft_may_be_submitted_and_says_its_stage_is_pre_approved(world):
    # given a draft to test, whose stage is pre-approved under an active model
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_test,
        versions=[world.version_1],
        model=world.model,
    )
    # when its readiness is read
    items = deployment_readiness(deployment=d, user=world.users["product_owner"])
    # then submit's gates come first, then what approval will check
    assert [(i.transition, i.code, i.ok) for i in items[:3]] == [
        ("submit", "plan", True),
        ("submit", "pre_approved", True),
        ("approve", "approvals", False),
    ]
    assert items[0].detail == "A window is planned and component versions are named."
    assert items[2].detail == "0 of 1 required approval given; 1 more needed."


def test_a_draft_without_window_or_versions_is_not_ready_to_submit(world):
    # given a draft with neither window nor versions
    d = DeploymentFactory(service=world.service, planned_start=None, planned_end=None, versions=[])
    # when its readiness is read
    found = gates(d, world.users["manager"])
    # then the plan gate says what is missing, and the conflicts are unknown until a window is planned
    assert found["plan"] == (
        False,
        "Plan a window (start and end) before submitting. Name at least one component version.",
    )
    assert found["window"] == (False, "No window planned: conflicts are unknown.")
    assert "freeze" not in found


# --- approve ------------------------------------------------------------------------------------------------------


def test_approvals_and_service_owner_sign_off_count_against_the_stage(world):
    # given a pending production deployment (two approvals, one from a service owner)
    d = to_production(world)
    manager = world.users["manager"]
    # then nothing is given yet
    assert gates(d, manager)["approvals"] == (False, "0 of 2 required approvals given; 2 more needed.")
    assert gates(d, manager)["service_owner"] == (
        False,
        "The stage asks for sign-off by an owner of Online shop; none has approved yet.",
    )
    # when the service owner signs off
    deployment_transition(ctx=Context(actor=world.users["service_owner"]), deployment=d, transition="approve")
    # then sign-off passes and one more approval is needed
    found = gates(d, manager)
    assert found["service_owner"] == (True, "An owner of Online shop has signed off.")
    assert found["approvals"] == (False, "1 of 2 required approvals given; 1 more needed.")


def test_two_approvals_without_the_owners_sign_off_pass_the_count_not_the_sign_off(world):
    # given a pending production deployment approved by two managers
    d = to_production(world)
    for manager in (world.users["manager"], UserFactory(roles=["manager"])):
        deployment_transition(ctx=Context(actor=manager), deployment=d, transition="approve")
    d.refresh_from_db()
    # when its readiness is read
    found = gates(d, world.users["service_owner"])
    # then the count passes and the sign-off does not: it is still pending
    assert d.status == Status.PENDING_APPROVAL
    assert found["approvals"] == (True, "2 of 2 required approvals given.")
    assert found["service_owner"][0] is False


def test_the_requester_and_a_decided_manager_are_told_they_cannot_decide(world):
    # given a pending deployment requested by one manager and approved by another
    requester, other = world.users["manager"], UserFactory(roles=["manager"])
    d = to_production(world)
    d.requester = requester
    d.save(update_fields=["requester"])
    deployment_transition(ctx=Context(actor=other), deployment=d, transition="approve")
    # then the requester sees segregation of duties, the other their own decision, a third manager neither
    assert gates(d, requester)["segregation"] == (
        False,
        "You requested this deployment: someone else must approve it.",
    )
    assert gates(d, other)["decided"] == (False, "You have already decided on it.")
    third = gates(d, UserFactory(roles=["manager"]))
    assert "segregation" not in third and "decided" not in third


def test_promotion_is_closed_until_the_version_completed_the_previous_stage(world):
    # given a pending production deployment of a version never completed in staging
    d = to_production(world, promoted=False)
    # then the promotion gate is closed, naming the version and the stage
    assert gates(d, world.users["manager"])["promotion"] == (
        False,
        f"shop-web 1.1.0 has no completed deployment in Staging (the previous stage of {world.model}).",
    )
    # when the version completes staging
    DeploymentFactory(
        service=world.service, environment=world.env_staging, status=Status.COMPLETED, versions=[world.version_2]
    )
    # then it is open
    assert gates(d, world.users["manager"])["promotion"] == (
        True,
        "Every version has a completed deployment in Staging (the previous stage).",
    )


def test_every_conflict_kind_is_a_closed_gate_with_its_reason(world):
    # given an environment without parallel deployments, inside maintenance windows only, frozen at the window,
    # where a newer version is in place and an approved deployment of the same component and practitioner overlaps
    env = EnvironmentFactory(name="Preprod", allows_parallel_deployments=False, requires_maintenance_window=True)
    start = dt.datetime(2030, 3, 6, 12, 0, tzinfo=dt.UTC)
    FreezeWindowFactory(environment=env, name="Audit", start=start - dt.timedelta(hours=1), end=start + dt.timedelta(1))
    pat = UserFactory(username="pat", roles=["practitioner"])
    newer = ComponentVersionFactory(component=world.component, version="9.0.0")
    DeploymentFactory(service=world.service, environment=env, status=Status.COMPLETED, versions=[newer])
    busy = DeploymentFactory(
        service=world.service,
        environment=env,
        status=Status.APPROVED,
        planned_start=start,
        versions=[newer],
        practitioners=[pat],
    )
    d = DeploymentFactory(
        service=world.service,
        environment=env,
        status=Status.PENDING_APPROVAL,
        planned_start=start,
        versions=[world.version_2],
        practitioners=[pat],
    )
    # when its readiness is read
    found = gates(d, world.users["manager"])
    # then each of the kinds is closed, saying why
    assert found["environment_busy"] == (
        False,
        f"{busy.reference} “{busy.title}” overlaps in Preprod, which allows no parallel deployments.",
    )
    assert found["component_busy"] == (False, f"{busy.reference} deploys shop-web in Preprod in an overlapping window.")
    assert found["freeze"][0] is False and found["freeze"][1].startswith("Freeze “Audit”")
    assert found["outside_maintenance"] == (False, "Preprod accepts deployments only inside its maintenance windows.")
    assert found["practitioner_busy"] == (False, f"pat is booked on {busy.reference} in an overlapping window.")
    assert found["downgrade"] == (
        False,
        "shop-web 1.1.0 is older than 9.0.0 already in Preprod; deploy it only as a stated rollback.",
    )


def test_a_clear_plan_passes_every_conflict_gate_saying_why(world):
    # given a pending deployment to test (parallel deployments allowed, no maintenance windows, no freeze)
    d = DeploymentFactory(
        service=world.service, environment=world.env_test, status=Status.PENDING_APPROVAL, versions=[world.version_2]
    )
    # when its readiness is read
    found = gates(d, world.users["manager"])
    # then every conflict gate passes, with its reason
    assert {code: found[code] for code in found if code not in ("approvals", "promotion", "acceptance")} == {
        "environment_busy": (True, "Test allows parallel deployments."),
        "component_busy": (True, "No booked deployment of these components overlaps the window."),
        "freeze": (True, "No freeze window of Test overlaps the window."),
        "outside_maintenance": (True, "Test accepts deployments at any time (no maintenance windows required)."),
        "practitioner_busy": (True, "No assigned practitioner is booked elsewhere in the window."),
        "downgrade": (True, "No version is older than the one already in Test."),
    }
    assert found["promotion"] == (True, "Not under a model stage: no promotion gate.")


def test_readiness_names_what_the_approval_then_refuses(world):
    # given a pending production deployment inside the world's freeze, whose version passed staging
    d = to_production(world, start=world.freeze.start + dt.timedelta(hours=3))
    manager = world.users["manager"]
    closed = [i for i in deployment_readiness(deployment=d, user=manager) if not i.ok]
    # when the manager approves it anyway
    with pytest.raises(ConflictError) as refused:
        deployment_transition(ctx=Context(actor=manager), deployment=d, transition="approve")
    # then the refusal lists exactly the conflicts the panel showed
    assert [i.code for i in closed] == ["approvals", "service_owner", "freeze"]
    assert refused.value.conflicts == [closed[2].detail]


# --- start ------------------------------------------------------------------------------------------------------


def test_start_checks_the_windows_now_and_the_promotion_gate(world):
    # given an approved deployment to an environment frozen now and open only in maintenance windows
    env = EnvironmentFactory(name="Edge", requires_maintenance_window=True)
    MaintenanceWindowFactory(environment=env)
    FreezeWindowFactory(environment=env, name="Launch", start=WEDNESDAY_NOON - dt.timedelta(hours=2))
    d = DeploymentFactory(service=world.service, environment=env, status=Status.APPROVED)
    # when its readiness is read on a Wednesday noon
    found = gates(d, world.users["manager"], now=WEDNESDAY_NOON)
    # then both windows refuse the start, and the promotion gate (no model) is open
    assert found["freeze"] == (False, "Freeze “Launch” is in force: Business-critical period.")
    assert found["outside_maintenance"] == (False, "Edge is outside its maintenance windows now.")
    assert found["promotion"][0] is True
    # and outside the freeze, inside the Saturday-night window, both pass
    saturday_night = dt.datetime(2030, 1, 12, 23, 0, tzinfo=dt.UTC)
    later = gates(d, world.users["manager"], now=saturday_night)
    assert later["freeze"] == (True, "No freeze window of Edge is in force now.")
    assert later["outside_maintenance"] == (True, "Edge accepts deployments now.")


@pytest.mark.parametrize(
    ("environment", "practitioner", "expected"),
    [
        ("env_test", "cleared", (True, "Every assigned practitioner is cleared for Test.")),
        ("env_prod", "cleared", (True, "Every assigned practitioner is cleared for Production.")),
        (
            "env_prod",
            "new",
            (False, "Not cleared for Production: Nina New (a deployment manager may still start it)."),
        ),
        ("env_prod", None, (True, "No practitioner assigned: only a deployment manager can start it.")),
    ],
)
def test_start_checks_the_clearance_of_the_assigned_practitioners(world, environment, practitioner, expected):
    # given an approved deployment with the world's practitioner (cleared for production), a new one, or none
    people = {
        "cleared": [world.users["practitioner"]],
        "new": [UserFactory(first_name="Nina", last_name="New", roles=["practitioner"])],
        None: [],
    }[practitioner]
    env = getattr(world, environment)
    d = DeploymentFactory(service=world.service, environment=env, status=Status.APPROVED, practitioners=people)
    # when its readiness is read
    found = gates(d, world.users["manager"], now=WEDNESDAY_NOON)
    # then the clearance gate says who may start it
    assert found["clearance"] == expected


# --- checks -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "gate"),
    [
        (Status.VERIFYING_COMPONENTS, CheckKind.COMPONENT, "confirm-components"),
        (Status.VERIFYING_ENVIRONMENT, CheckKind.ENVIRONMENT, "confirm-environment"),
        (Status.VERIFYING, CheckKind.ACCEPTANCE, "complete"),
    ],
)
def test_each_check_gate_counts_the_checks_of_its_kind(world, status, kind, gate):
    # given a deployment at the gate with one passed, one failed and one optional pending check of its kind, and a
    # pending check of another kind
    d = DeploymentFactory(service=world.service, environment=world.env_test, status=status)
    Check.objects.create(deployment=d, kind=kind, description="Passed one", result=CheckResult.PASS)
    Check.objects.create(deployment=d, kind=kind, description="Failed one", result=CheckResult.FAIL)
    Check.objects.create(deployment=d, kind=kind, description="Optional", required=False)
    other = CheckKind.ACCEPTANCE if kind != CheckKind.ACCEPTANCE else CheckKind.COMPONENT
    Check.objects.create(deployment=d, kind=other, description="Another kind")
    # when its readiness is read
    items = deployment_readiness(deployment=d, user=world.users["practitioner"])
    # then the one gate counts the required checks of its kind and names the one not passed
    assert [(i.transition, i.code, i.ok, i.detail) for i in items] == [
        (gate, "checks", False, "1 of 2 passed. Not passed: Failed one (fail).")
    ]
    # and when it is passed, the gate opens
    Check.objects.filter(deployment=d, description="Failed one").update(result=CheckResult.NOT_APPLICABLE)
    assert gates(d, world.users["practitioner"])["checks"] == (True, "All 2 passed.")


def test_a_gate_without_checks_passes(world):
    d = DeploymentFactory(service=world.service, environment=world.env_test, status=Status.VERIFYING_ENVIRONMENT)
    assert gates(d, world.users["practitioner"])["checks"] == (True, "No required environment check.")


@pytest.mark.parametrize("status", [Status.EXECUTING, Status.COMPLETED, Status.REJECTED, Status.CANCELLED])
def test_finishing_execution_and_closed_deployments_have_no_gate(world, status):
    d = DeploymentFactory(service=world.service, environment=world.env_test, status=status)
    assert deployment_readiness(deployment=d, user=world.users["manager"]) == []
