"""The deployment models of the shared test world: an active software model with three stages, and a draft."""

from apps.deployment_models.models import AutomationLevel, ModelStatus
from tests.factories.deployment_models import (
    DeploymentModelFactory,
    ModelStageFactory,
    ResponsibilityFactory,
    environment,
)


def extend(w) -> None:
    """Adds w.model (active, software, test → staging → production as w.stage_test / w.stage_staging /
    w.stage_prod) and w.draft_model (a draft with one stage into test). Environments come from the environments
    world when it ran; otherwise they are made here."""
    for attr, kind in (("env_test", "test"), ("env_staging", "staging"), ("env_prod", "production")):
        if getattr(w, attr, None) is None:
            setattr(w, attr, environment(kind))
    w.model = DeploymentModelFactory(
        name="Software developed in house (world)",
        status=ModelStatus.ACTIVE,
        component_types=["software"],
        component_sources=["in_house"],
        automation_level=AutomationLevel.PARTLY_AUTOMATED,
        triggers=["release", "requirement"],
        owner=w.users["manager"],
    )
    w.stage_test = ModelStageFactory(
        model=w.model, environment=w.env_test, order=1, approvals_required=0, pre_approved=True
    )
    w.stage_staging = ModelStageFactory(model=w.model, environment=w.env_staging, order=2, approvals_required=1)
    w.stage_prod = ModelStageFactory(
        model=w.model,
        environment=w.env_prod,
        order=3,
        approvals_required=2,
        requires_service_owner_approval=True,
    )
    w.model_responsibility = ResponsibilityFactory(
        model=w.model, activity="Approve production", role="Deployment manager", raci="A"
    )
    w.model.next_review_due = w.model.next_review_from(w.model.created_at.date())
    w.model.save(update_fields=["next_review_due"])

    w.draft_model = DeploymentModelFactory(
        name="Draft model (world)", status=ModelStatus.DRAFT, component_types=["software"], owner=w.users["manager"]
    )
    w.draft_stage = ModelStageFactory(model=w.draft_model, environment=w.env_test, order=1, approvals_required=1)
    w.draft_responsibility = ResponsibilityFactory(
        model=w.draft_model, activity="Deploy", role="Deployment manager", raci="A"
    )
