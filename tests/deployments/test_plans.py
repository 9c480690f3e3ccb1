"""The plan beside the state machine: release, step plan, back-out plan, and the model's applicability."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.core.models import OutboxTask
from apps.core.outbound import Announcement
from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Deployment, DeploymentStep, EventKind
from apps.deployments.services import (
    Context,
    deployment_release,
    deployment_update,
    step_add,
    step_record,
    step_remove,
    step_update,
    steps_reorder,
)
from apps.deployments.workflow import Status
from apps.environments.services import environment_clear_practitioner
from apps.integrations.events import EVENT_NAMES, subject_load
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory, plan
from tests.factories.environments import EnvironmentFactory

TEMPLATE = "Ship | 60\nStore\nInstall | 30\nConfigure | 15\nVerify | 20"


@pytest.fixture
def people(db):
    return {
        "manager": UserFactory(roles=["manager"]),
        "practitioner": UserFactory(roles=["practitioner"]),
        "other_practitioner": UserFactory(roles=["practitioner"]),
        "owner": UserFactory(roles=["service_owner"]),
        "requester": UserFactory(roles=["practitioner"]),
    }


def _deployment(people, status: str, **extra) -> Deployment:
    service = extra.pop("service", None) or ServiceFactory()
    service.owners.add(people["owner"])
    d = DeploymentFactory(
        status=status, service=service, practitioners=[people["practitioner"]], requester=people["requester"], **extra
    )
    # the practitioner carries it out: cleared for its (controlled) environment
    environment_clear_practitioner(
        environment=d.environment, user=people["practitioner"], actor=people["manager"], reason="On the rota"
    )
    return d


def _snapshot(d: Deployment) -> tuple:
    d.refresh_from_db()
    return d.status, d.version, d.released_at, d.release_ref, d.events.count(), d.steps.count()


# --- release ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "practitioner"])
def test_a_completed_deployment_is_released_beside_its_status(people, who, django_capture_on_commit_callbacks):
    # given a completed deployment, deployed and not yet released
    d = _deployment(people, Status.COMPLETED)
    actor = people[who]
    # when the manager or the assigned practitioner releases it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        released = deployment_release(ctx=Context(actor=actor), deployment=d, release_ref=" REL-7 ", comment="Flag on")
    # then the release is recorded beside the status, with an event, an audit entry and a webhook announcement
    d.refresh_from_db()
    assert (d.status, d.release_ref, d.released_by, d.version) == (Status.COMPLETED, "REL-7", actor, released.version)
    assert d.released_at is not None
    event = d.events.get(kind=EventKind.RELEASE)
    assert (event.comment, event.data, event.actor) == ("Flag on", {"release_ref": "REL-7"}, actor)
    assert AuditEntry.objects.filter(object_id=str(d.pk), action=EventKind.RELEASE).exists()
    # the stakeholders' e-mail and the webhook announcement leave through the outbox, after commit
    keys = set(OutboxTask.objects.values_list("key", flat=True))
    assert {f"notify-event-{event.pk}", f"deployment.released:{event.pk}"} <= keys
    assert len(callbacks) >= 2
    subject = subject_load(Announcement(event="deployment.released", object_id=event.pk))
    assert subject.payload["release"]["release_ref"] == "REL-7"
    assert subject.payload["deployment"]["status"] == "completed"


def test_the_webhook_event_is_one_a_subscription_may_choose():
    assert "deployment.released" in EVENT_NAMES


@pytest.mark.parametrize(
    "status", [Status.APPROVED, Status.EXECUTING, Status.VERIFYING, Status.FAILED, Status.ROLLED_BACK]
)
def test_only_a_completed_deployment_is_released(people, status):
    d = _deployment(people, status)
    before = _snapshot(d)
    with pytest.raises(ConflictError) as exc:
        deployment_release(ctx=Context(actor=people["manager"]), deployment=d, release_ref="REL-1")
    assert exc.value.code == "not_completed"
    assert _snapshot(d) == before


def test_a_deployment_is_released_once(people):
    d = _deployment(people, Status.COMPLETED)
    deployment_release(ctx=Context(actor=people["manager"]), deployment=d, release_ref="REL-1")
    before = _snapshot(d)
    with pytest.raises(ConflictError) as exc:
        deployment_release(ctx=Context(actor=people["practitioner"]), deployment=d, release_ref="REL-2")
    assert exc.value.code == "already_released"
    assert _snapshot(d) == before


@pytest.mark.parametrize("who", ["owner", "other_practitioner", "requester"])
def test_others_may_not_release(people, who):
    d = _deployment(people, Status.COMPLETED)
    before = _snapshot(d)
    with pytest.raises(PermissionDenied):
        deployment_release(ctx=Context(actor=people[who]), deployment=d, release_ref="REL-1")
    assert _snapshot(d) == before


def test_a_release_needs_a_reference_given_now_or_at_planning(people):
    d = _deployment(people, Status.COMPLETED)
    with pytest.raises(ValidationError) as exc:
        deployment_release(ctx=Context(actor=people["manager"]), deployment=d, release_ref="  ")
    assert "release_ref" in exc.value.message_dict
    planned = _deployment(people, Status.COMPLETED, release_ref="REL-PLANNED")
    assert deployment_release(ctx=Context(actor=people["manager"]), deployment=planned).release_ref == "REL-PLANNED"


# --- planning: the step template and the back-out plan -----------------------------------------------------------


@pytest.fixture
def staged(db):
    env = EnvironmentFactory()
    model = DeploymentModelFactory(status=ModelStatus.ACTIVE, rollback_procedure="Redeploy 1.0 from the DML.")
    stage = ModelStageFactory(model=model, environment=env, step_template=TEMPLATE)
    return model, stage, env


def test_planning_copies_the_stage_step_template_and_the_rollback_procedure(people, staged):
    # given an active model whose stage has a step template
    model, stage, env = staged
    service = ServiceFactory()
    version = ComponentVersionFactory(component__service=service)
    # when a deployment is planned with it
    d = plan(requester=people["manager"], service=service, environment=env, versions=[version], model=model)
    # then it has the template's steps, in order, pending, and the model's rollback procedure as its back-out plan
    steps = list(d.steps.order_by("order").values_list("order", "title", "expected_minutes", "status"))
    assert steps == [
        (1, "Ship", 60, "pending"),
        (2, "Store", None, "pending"),
        (3, "Install", 30, "pending"),
        (4, "Configure", 15, "pending"),
        (5, "Verify", 20, "pending"),
    ]
    assert d.back_out_plan == "Redeploy 1.0 from the DML."


def test_a_back_out_plan_written_when_planning_is_kept(people, staged):
    model, _stage, env = staged
    service = ServiceFactory()
    version = ComponentVersionFactory(component__service=service)
    d = plan(
        requester=people["manager"],
        service=service,
        environment=env,
        versions=[version],
        model=model,
        back_out_plan="Switch the flag off.",
    )
    assert d.back_out_plan == "Switch the flag off."


def test_a_stage_template_with_bad_minutes_is_refused(staged):
    _model, stage, _env = staged
    stage.step_template = "Install | soon"
    with pytest.raises(ValidationError) as exc:
        stage.full_clean()
    assert "step_template" in exc.value.message_dict


# --- the step plan --------------------------------------------------------------------------------------------


def test_the_plan_is_edited_before_the_start(people):
    d = _deployment(people, Status.APPROVED)
    ctx = Context(actor=people["practitioner"])
    first = step_add(ctx=ctx, deployment=d, title="Install", expected_minutes=30, owner=people["practitioner"])
    second = step_add(ctx=ctx, deployment=d, title="Verify")
    step_update(ctx=ctx, step=second, title="Verify the health checks", expected_minutes=10)
    steps_reorder(ctx=ctx, deployment=d, step_ids=[second.pk, first.pk])
    third = step_add(ctx=Context(actor=people["manager"]), deployment=d, title="Tidy up")
    step_remove(ctx=ctx, step=third)
    rows = list(d.steps.order_by("order").values_list("title", "order", "expected_minutes", "owner"))
    assert rows == [("Verify the health checks", 1, 10, None), ("Install", 2, 30, people["practitioner"].pk)]
    assert d.events.filter(kind=EventKind.STEP).count() == 6
    assert AuditEntry.objects.filter(object_id=str(d.pk), action=EventKind.STEP).count() == 6


def test_a_reorder_names_every_step_once(people):
    d = _deployment(people, Status.APPROVED)
    ctx = Context(actor=people["manager"])
    a = step_add(ctx=ctx, deployment=d, title="A")
    step_add(ctx=ctx, deployment=d, title="B")
    with pytest.raises(ValidationError):
        steps_reorder(ctx=ctx, deployment=d, step_ids=[a.pk, a.pk])


@pytest.mark.parametrize("status", [Status.EXECUTING, Status.COMPLETED])
def test_the_plan_is_locked_once_started(people, status):
    d = _deployment(people, status)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install")
    before = _snapshot(d)
    ctx = Context(actor=people["manager"])
    for call in (
        lambda: step_add(ctx=ctx, deployment=d, title="More"),
        lambda: step_update(ctx=ctx, step=step, title="Renamed"),
        lambda: step_remove(ctx=ctx, step=step),
        lambda: steps_reorder(ctx=ctx, deployment=d, step_ids=[step.pk]),
    ):
        with pytest.raises(ConflictError) as exc:
            call()
        assert exc.value.code == "steps_locked"
    assert _snapshot(d) == before


@pytest.mark.parametrize("who", ["owner", "other_practitioner", "requester"])
def test_only_executors_change_the_plan(people, who):
    d = _deployment(people, Status.APPROVED)
    before = _snapshot(d)
    with pytest.raises(PermissionDenied):
        step_add(ctx=Context(actor=people[who]), deployment=d, title="Sneaky")
    assert _snapshot(d) == before


def test_steps_are_ticked_off_while_it_runs(people):
    # given a running deployment with three steps
    d = _deployment(people, Status.EXECUTING)
    ship, install, verify = (
        DeploymentStep.objects.create(deployment=d, order=i, title=t) for i, t in enumerate(["Ship", "Install", "V"])
    )
    ctx = Context(actor=people["practitioner"])
    # when the practitioner ticks them off: done, skipped with a reason, done and back to pending
    step_record(ctx=ctx, step=ship, status="done")
    step_record(ctx=ctx, step=install, status="skipped", note="Pre-installed by the vendor.")
    step_record(ctx=ctx, step=verify, status="done")
    step_record(ctx=ctx, step=verify, status="pending")
    # then each says who and when (a pending one neither)
    ship.refresh_from_db(), install.refresh_from_db(), verify.refresh_from_db()
    assert (ship.status, ship.done_by, ship.done_at is not None) == ("done", people["practitioner"], True)
    assert (install.status, install.note) == ("skipped", "Pre-installed by the vendor.")
    assert (verify.status, verify.done_by, verify.done_at) == ("pending", None, None)
    assert d.events.filter(kind=EventKind.STEP).count() == 4


def test_a_skipped_step_says_why(people):
    d = _deployment(people, Status.EXECUTING)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install")
    with pytest.raises(ValidationError) as exc:
        step_record(ctx=Context(actor=people["practitioner"]), step=step, status="skipped", note=" ")
    assert "note" in exc.value.message_dict
    step.refresh_from_db()
    assert step.status == "pending"


@pytest.mark.parametrize("status", [Status.APPROVED, Status.COMPLETED])
def test_steps_are_not_ticked_off_outside_the_run(people, status):
    d = _deployment(people, status)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install")
    with pytest.raises(ConflictError):
        step_record(ctx=Context(actor=people["manager"]), step=step, status="done")


def test_others_do_not_tick_steps_off(people):
    d = _deployment(people, Status.EXECUTING)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install")
    with pytest.raises(PermissionDenied):
        step_record(ctx=Context(actor=people["owner"]), step=step, status="done")


# --- the back-out plan ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.EXECUTING, Status.FAILED])
def test_the_back_out_plan_is_edited_by_its_executors_until_final(people, status):
    d = _deployment(people, status, back_out_plan="Old plan")
    updated = deployment_update(
        ctx=Context(actor=people["practitioner"]),
        deployment=d,
        data={"back_out_plan": "Restore the snapshot."},
        expected_version=d.version,
    )
    assert updated.back_out_plan == "Restore the snapshot."
    assert updated.events.filter(kind=EventKind.EDITED, data__fields=["back_out_plan"]).exists()


def test_the_back_out_plan_is_fixed_once_final(people):
    d = _deployment(people, Status.COMPLETED, back_out_plan="Old plan")
    with pytest.raises(ConflictError):
        deployment_update(
            ctx=Context(actor=people["manager"]), deployment=d, data={"back_out_plan": "New"}, expected_version=None
        )
    d.refresh_from_db()
    assert d.back_out_plan == "Old plan"


def test_a_practitioner_edits_nothing_else_of_a_running_deployment(people):
    d = _deployment(people, Status.EXECUTING)
    with pytest.raises(ConflictError):
        deployment_update(
            ctx=Context(actor=people["practitioner"]),
            deployment=d,
            data={"back_out_plan": "New", "title": "Renamed"},
            expected_version=None,
        )


def test_an_unassigned_practitioner_may_not_edit_the_back_out_plan(people):
    d = _deployment(people, Status.APPROVED)
    with pytest.raises(PermissionDenied):
        deployment_update(
            ctx=Context(actor=people["other_practitioner"]),
            deployment=d,
            data={"back_out_plan": "New"},
            expected_version=None,
        )


# --- applicability --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_fields", "component_fields", "trigger", "message"),
    [
        (
            {"component_sources": ["in_house", "partner"]},
            {"source": "vendor"},
            "release",
            "does not apply to component source vendor (it covers in_house, partner).",
        ),
        (
            {"component_types": ["software"]},
            {"type": "hardware"},
            "release",
            "does not apply to component type hardware (it covers software).",
        ),
        (
            {"triggers": ["release", "requirement"]},
            {},
            "third_party",
            "does not apply to trigger third_party (it covers release, requirement).",
        ),
    ],
)
def test_a_model_that_does_not_apply_is_refused_naming_the_rule(
    people, model_fields, component_fields, trigger, message
):
    # given an active model and a component outside what it covers (or a trigger it does not serve)
    env = EnvironmentFactory()
    fields = {"component_types": [], "component_sources": [], "triggers": [], **model_fields}
    model = DeploymentModelFactory(status=ModelStatus.ACTIVE, name="Model X", **fields)
    ModelStageFactory(model=model, environment=env)
    service = ServiceFactory()
    version = ComponentVersionFactory(
        component__service=service, **{f"component__{k}": v for k, v in component_fields.items()}
    )
    count = Deployment.objects.count()
    # when it is planned under the model
    with pytest.raises(ValidationError) as exc:
        plan(
            requester=people["manager"],
            service=service,
            environment=env,
            versions=[version],
            model=model,
            trigger=trigger,
        )
    # then the refusal names the rule, on the model, and nothing is planned
    assert exc.value.message_dict["model"] == [f"Model X v1 {message}"]
    assert Deployment.objects.count() == count


def test_an_empty_applicability_covers_everything(people):
    env = EnvironmentFactory()
    model = DeploymentModelFactory(status=ModelStatus.ACTIVE, component_types=[], component_sources=[], triggers=[])
    ModelStageFactory(model=model, environment=env)
    service = ServiceFactory()
    version = ComponentVersionFactory(component__service=service, component__source="vendor", component__type="data")
    d = plan(
        requester=people["manager"],
        service=service,
        environment=env,
        versions=[version],
        model=model,
        trigger="retirement",
    )
    assert d.model == model


def test_changing_the_model_of_a_draft_checks_its_applicability(people):
    env = EnvironmentFactory()
    service = ServiceFactory()
    version = ComponentVersionFactory(component__service=service, component__source="vendor")
    d = plan(requester=people["manager"], service=service, environment=env, versions=[version])
    model = DeploymentModelFactory(status=ModelStatus.ACTIVE, component_sources=["in_house"])
    ModelStageFactory(model=model, environment=env)
    with pytest.raises(ValidationError) as exc:
        deployment_update(
            ctx=Context(actor=people["manager"]), deployment=d, data={"model": model}, expected_version=None
        )
    assert "component source vendor" in exc.value.message_dict["model"][0]
