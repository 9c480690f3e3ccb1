"""Services of deployment models: versioning, lifecycle, stage and RACI validation, permissions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.exceptions import ConflictError
from apps.deployment_models import services
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Responsibility
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import (
    DeploymentModelFactory,
    ModelStageFactory,
    ResponsibilityFactory,
    environment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def envs():
    return {kind: environment(kind) for kind in ("test", "staging", "production")}


def _snapshot():
    return (
        list(DeploymentModel.objects.order_by("pk").values()),
        list(ModelStage.objects.order_by("pk").values()),
        list(Responsibility.objects.order_by("pk").values()),
    )


def _model_with_stages(envs, **kwargs):
    model = DeploymentModelFactory(**kwargs)
    ModelStageFactory(model=model, environment=envs["test"], order=1, approvals_required=0, pre_approved=True)
    ModelStageFactory(model=model, environment=envs["staging"], order=2, approvals_required=1)
    ModelStageFactory(
        model=model,
        environment=envs["production"],
        order=3,
        approvals_required=2,
        requires_service_owner_approval=True,
    )
    ResponsibilityFactory(model=model, activity="Approve", role="Deployment manager", raci="A")
    ResponsibilityFactory(model=model, activity="Approve", role="Service owner", raci="C")
    return model


def test_model_create_makes_a_draft_version_1(manager):
    # when
    model = services.model_create(actor=manager, name="Kiosk rollout", component_types=["hardware"])
    # then
    assert (model.status, model.version, model.owner) == (ModelStatus.DRAFT, 1, manager)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "component_types": ["spaceship"]}, "component_types"),
        ({"name": "X", "component_sources": ["moon"]}, "component_sources"),
        ({"name": "X", "triggers": ["whim"]}, "triggers"),
        ({"name": "X", "selection_factors": {"colour": "blue"}}, "selection_factors"),
        ({"name": "X", "review_interval_months": 0}, "review_interval_months"),
        ({"name": "X", "automation_level": "magic"}, "automation_level"),
    ],
)
def test_model_create_refuses_bad_input(manager, fields, field):
    # given
    before = _snapshot()
    # when
    with pytest.raises(ValidationError) as exc:
        services.model_create(actor=manager, **fields)
    # then
    assert field in exc.value.message_dict
    assert _snapshot() == before


def test_model_create_refuses_an_existing_name(manager):
    DeploymentModelFactory(name="Mobile app")
    with pytest.raises(ValidationError, match="exists already"):
        services.model_create(actor=manager, name="mobile app")


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", None])
def test_writes_need_a_deployment_manager(envs, role):
    # given
    user = UserFactory(roles=[role] if role else [])
    model = _model_with_stages(envs)
    before = _snapshot()
    stage = model.stages.first()
    calls = [
        lambda: services.model_create(actor=user, name="New"),
        lambda: services.model_update(model=model, actor=user, description="x"),
        lambda: services.model_pilot(model=model, actor=user),
        lambda: services.model_activate(model=model, actor=user),
        lambda: services.model_retire(model=model, actor=user),
        lambda: services.model_new_version(model=model, actor=user),
        lambda: services.stage_add(model=model, actor=user, environment=environment("integration")),
        lambda: services.stage_update(stage=stage, actor=user, approvals_required=3),
        lambda: services.stage_remove(stage=stage, actor=user),
        lambda: services.stage_reorder(model=model, actor=user, stage_ids=[]),
        lambda: services.responsibility_add(
            model=model, actor=user, activity="Plan", role="Deployment manager", raci="R"
        ),
        lambda: services.responsibility_remove(responsibility=model.responsibilities.first(), actor=user),
    ]
    before = _snapshot()
    for call in calls:
        # when / then
        with pytest.raises(PermissionDenied):
            call()
    assert _snapshot() == before


@pytest.mark.parametrize("status", [ModelStatus.ACTIVE, ModelStatus.RETIRED])
def test_an_active_or_retired_model_is_immutable(manager, envs, status):
    # given
    model = _model_with_stages(envs, status=status)
    before = _snapshot()
    stage = model.stages.first()
    calls = [
        lambda: services.model_update(model=model, actor=manager, description="changed"),
        lambda: services.stage_add(model=model, actor=manager, environment=environment("integration")),
        lambda: services.stage_update(stage=stage, actor=manager, approvals_required=3),
        lambda: services.stage_remove(stage=stage, actor=manager),
        lambda: services.stage_reorder(model=model, actor=manager, stage_ids=[s.pk for s in model.stages.all()]),
        lambda: services.responsibility_add(
            model=model, actor=manager, activity="Plan", role="Deployment manager", raci="R"
        ),
        lambda: services.responsibility_remove(responsibility=model.responsibilities.first(), actor=manager),
    ]
    for call in calls:
        # when / then
        with pytest.raises(ConflictError, match="cannot be changed: make a new version"):
            call()
    assert _snapshot() == before


def test_model_update_changes_a_draft(manager):
    model = DeploymentModelFactory()
    updated = services.model_update(model=model, actor=manager, description="Better", selection_factors={"cost": "Low"})
    assert (updated.description, updated.selection_factors) == ("Better", {"cost": "Low"})


def test_a_versioned_model_cannot_be_renamed(manager, envs):
    old = _model_with_stages(envs, status=ModelStatus.ACTIVE)
    draft = services.model_new_version(model=old, actor=manager)
    with pytest.raises(ValidationError, match="cannot be renamed"):
        services.model_update(model=draft, actor=manager, name="Other")


def test_new_version_copies_stages_and_responsibilities(manager, envs):
    # given an active model
    model = _model_with_stages(envs, status=ModelStatus.ACTIVE, selection_factors={"cost": "Low"}, triggers=["release"])
    # when
    copy = services.model_new_version(model=model, actor=manager)
    # then
    assert (copy.name, copy.version, copy.status, copy.previous_version) == (model.name, 2, "draft", model)
    assert (copy.selection_factors, copy.triggers) == ({"cost": "Low"}, ["release"])
    stages = [
        (s.environment.slug, s.order, s.approvals_required, s.pre_approved, s.requires_service_owner_approval)
        for s in copy.stages.all()
    ]
    assert stages == [("test", 1, 0, True, False), ("staging", 2, 1, False, False), ("production", 3, 2, False, True)]
    assert sorted((r.activity, r.role, r.raci) for r in copy.responsibilities.all()) == [
        ("Approve", "Deployment manager", "A"),
        ("Approve", "Service owner", "C"),
    ]
    assert model.stages.count() == 3
    model.refresh_from_db()
    assert model.status == ModelStatus.ACTIVE


def test_new_version_is_refused_while_a_newer_draft_exists(manager, envs):
    # given
    model = _model_with_stages(envs, status=ModelStatus.ACTIVE)
    services.model_new_version(model=model, actor=manager)
    before = _snapshot()
    # when / then
    with pytest.raises(ConflictError, match="Version 2 .* is already in draft"):
        services.model_new_version(model=model, actor=manager)
    assert _snapshot() == before


def test_new_version_of_a_draft_is_refused(manager):
    with pytest.raises(ConflictError, match="change it directly"):
        services.model_new_version(model=DeploymentModelFactory(), actor=manager)


def test_activate_retires_the_previous_active_version(manager, envs):
    # given
    v1 = _model_with_stages(envs, status=ModelStatus.ACTIVE)
    v2 = services.model_new_version(model=v1, actor=manager)
    # when
    services.model_activate(model=v2, actor=manager, today=datetime.date(2026, 1, 31), override_reason="Urgent fix")
    # then
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (ModelStatus.RETIRED, ModelStatus.ACTIVE)
    assert v1.retired_at is not None and v2.activated_at is not None
    assert v2.next_review_due == datetime.date(2026, 4, 30)


def test_activate_needs_a_stage(manager):
    model = DeploymentModelFactory()
    with pytest.raises(ValidationError, match="at least one stage"):
        services.model_activate(model=model, actor=manager)
    model.refresh_from_db()
    assert model.status == ModelStatus.DRAFT


def test_activate_needs_an_accountable_for_every_activity(manager, envs):
    model = _model_with_stages(envs)
    ResponsibilityFactory(model=model, activity="Verify", role="Deployment practitioner", raci="R")
    with pytest.raises(ValidationError, match="missing for: Verify"):
        services.model_activate(model=model, actor=manager)


def test_pilot_then_activate_then_retire(manager, envs):
    model = _model_with_stages(envs, pilot_runs_required=1)
    assert services.model_pilot(model=model, actor=manager).status == ModelStatus.PILOT
    services.model_pilot_run_record(model=model, actor=manager)
    services.model_evaluate(model=model, actor=manager, outcome="successful", findings="Fine.", decision="activate")
    assert services.model_activate(model=model, actor=manager).status == ModelStatus.ACTIVE
    assert services.model_retire(model=model, actor=manager).status == ModelStatus.RETIRED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ModelStatus.PILOT, "model_pilot"),
        (ModelStatus.ACTIVE, "model_pilot"),
        (ModelStatus.ACTIVE, "model_activate"),
        (ModelStatus.RETIRED, "model_activate"),
        (ModelStatus.RETIRED, "model_retire"),
    ],
)
def test_invalid_transitions_are_conflicts(manager, envs, status, action):
    model = _model_with_stages(envs, status=status)
    with pytest.raises(ConflictError):
        getattr(services, action)(model=model, actor=manager)
    model.refresh_from_db()
    assert model.status == status


def test_stage_add_appends_in_order(manager, envs):
    model = DeploymentModelFactory()
    first = services.stage_add(model=model, actor=manager, environment=envs["test"], approvals_required=0)
    second = services.stage_add(model=model, actor=manager, environment=envs["production"])
    assert (first.order, second.order) == (1, 2)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"env": "test"}, "environment", "already stage 1"),
        ({"env": "staging", "order": 1}, "order", "Order 1 is already"),
        ({"env": "staging", "approvals_required": -1}, "approvals_required", "between 0 and 10"),
        ({"env": "staging", "approvals_required": 11}, "approvals_required", "between 0 and 10"),
        ({"env": "staging", "order": 0}, "order", "from 1 to 1000"),
        ({"env": "staging", "pre_approved": True, "approvals_required": 1}, "approvals_required", "needs 0"),
        (
            {"env": "staging", "requires_service_owner_approval": True, "approvals_required": 0},
            "approvals_required",
            "at least 1",
        ),
    ],
)
def test_stage_add_refuses_bad_input(manager, envs, fields, field, message):
    # given a model with a stage into test, order 1
    model = DeploymentModelFactory()
    services.stage_add(model=model, actor=manager, environment=envs["test"], approvals_required=0)
    before = _snapshot()
    env = envs[fields.pop("env")]
    # when
    with pytest.raises(ValidationError) as exc:
        services.stage_add(model=model, actor=manager, environment=env, **fields)
    # then
    assert message in " ".join(exc.value.message_dict[field])
    assert _snapshot() == before


def test_stage_update_refuses_an_environment_used_twice(manager, envs):
    model = _model_with_stages(envs)
    staging = model.stages.get(order=2)
    with pytest.raises(ValidationError, match="already stage 1"):
        services.stage_update(stage=staging, actor=manager, environment=envs["test"])
    staging.refresh_from_db()
    assert staging.environment == envs["staging"]


def test_stage_reorder_and_move(manager, envs):
    model = _model_with_stages(envs)
    ids = [s.pk for s in model.stages.all()]
    services.stage_reorder(model=model, actor=manager, stage_ids=list(reversed(ids)))
    assert [s.environment.slug for s in model.stages.all()] == ["production", "staging", "test"]
    services.stage_move(stage=model.stages.get(environment=envs["test"]), actor=manager, direction="up")
    assert [s.environment.slug for s in model.stages.all()] == ["production", "test", "staging"]


def test_stage_reorder_refuses_a_partial_list(manager, envs):
    model = _model_with_stages(envs)
    before = _snapshot()
    with pytest.raises(ValidationError, match="every stage"):
        services.stage_reorder(model=model, actor=manager, stage_ids=[model.stages.first().pk])
    assert _snapshot() == before


def test_stage_remove(manager, envs):
    model = _model_with_stages(envs)
    services.stage_remove(stage=model.stages.first(), actor=manager)
    assert model.stages.count() == 2


def test_responsibility_one_accountable_per_activity(manager, envs):
    model = _model_with_stages(envs)
    before = _snapshot()
    with pytest.raises(ValidationError, match="already has an Accountable"):
        services.responsibility_add(model=model, actor=manager, activity="approve", role="Product owner", raci="A")
    with pytest.raises(ValidationError, match="already holds"):
        services.responsibility_add(model=model, actor=manager, activity="Approve", role="Service owner", raci="I")
    with pytest.raises(ValidationError):
        services.responsibility_add(model=model, actor=manager, activity="Approve", role="Product owner", raci="X")
    with pytest.raises(ValidationError):
        services.responsibility_add(model=model, actor=manager, activity="", role="Product owner", raci="R")
    assert _snapshot() == before
    row = services.responsibility_add(model=model, actor=manager, activity="Approve", role="Product owner", raci="I")
    services.responsibility_remove(responsibility=row, actor=manager)
    assert model.responsibilities.count() == 2
