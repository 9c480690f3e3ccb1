"""Every read of deployment models that other apps and the pages rely on; permission-aware where a user is given."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from apps.core.permissions import objects_for_user, user_can
from apps.deployment_models.filters import DeploymentModelFilterSet, ModelStageFilterSet, ResponsibilityFilterSet
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Responsibility

VIEW_PERM = "deployment_models.view_deploymentmodel"
APPLICABLE_STATUSES = [ModelStatus.ACTIVE, ModelStatus.PILOT]


def _with_stages(queryset: QuerySet) -> QuerySet:
    stages = ModelStage.objects.select_related("environment").order_by("order")
    return queryset.select_related("owner", "previous_version").prefetch_related(Prefetch("stages", queryset=stages))


def model_list(*, user, filters=None) -> QuerySet:
    """The models the user may see (none without the view permission), filtered by DeploymentModelFilterSet."""

    queryset = objects_for_user(user, VIEW_PERM, DeploymentModel.objects.all())
    queryset = _with_stages(queryset).order_by("name", "-version")
    if filters is not None:
        queryset = DeploymentModelFilterSet(filters, queryset=queryset).qs
    return queryset


def model_get(*, user, pk) -> DeploymentModel:
    """One model the user may see, with its stages and responsibilities; 404 otherwise."""
    queryset = objects_for_user(user, VIEW_PERM, DeploymentModel.objects.all())
    return get_object_or_404(_with_stages(queryset).prefetch_related("responsibilities"), pk=pk)


def model_versions(*, model: DeploymentModel) -> QuerySet:
    """Every version of the model's name, newest first."""
    return DeploymentModel.objects.filter(name=model.name).order_by("-version")


def active_models() -> QuerySet:
    """Models deployments may be planned under without oversight."""
    return _with_stages(DeploymentModel.objects.filter(status=ModelStatus.ACTIVE))


def models_applicable(*, component_type: str | None = None, source: str | None = None) -> QuerySet:
    """Active and pilot models covering a component type and source; a model listing none covers every one."""
    candidates = DeploymentModel.objects.filter(status__in=APPLICABLE_STATUSES).values_list(
        "pk", "component_types", "component_sources"
    )
    ids = [
        pk
        for pk, types, sources in candidates
        if (component_type is None or not types or component_type in types)
        and (source is None or not sources or source in sources)
    ]
    return _with_stages(DeploymentModel.objects.filter(pk__in=ids))


def stage_for(*, model: DeploymentModel, environment) -> ModelStage | None:
    """The model's stage into this environment, if it has one."""
    return model.stages.filter(environment=environment).select_related("environment").first()


def previous_stage(*, stage: ModelStage) -> ModelStage | None:
    """The stage before this one in its model's flow (None for the first)."""
    return (
        ModelStage.objects.filter(model_id=stage.model_id, order__lt=stage.order)
        .select_related("environment")
        .order_by("-order")
        .first()
    )


def stage_is_pre_approved(*, stage: ModelStage) -> bool:
    """True when a deployment into this stage is approved on submit: pre-approved, and the model is not a pilot."""
    return stage.pre_approved and stage.model.status == ModelStatus.ACTIVE


def stage_list(*, user, filters=None) -> QuerySet:
    """Stages of the models the user may see."""

    models = objects_for_user(user, VIEW_PERM, DeploymentModel.objects.all())
    queryset = ModelStage.objects.filter(model__in=models).select_related("model", "environment")
    if filters is not None:
        queryset = ModelStageFilterSet(filters, queryset=queryset).qs
    return queryset


def responsibility_list(*, user, filters=None) -> QuerySet:
    """RACI rows of the models the user may see."""

    models = objects_for_user(user, VIEW_PERM, DeploymentModel.objects.all())
    queryset = Responsibility.objects.filter(model__in=models).select_related("model")
    if filters is not None:
        queryset = ResponsibilityFilterSet(filters, queryset=queryset).qs
    return queryset


def model_available_actions(*, model: DeploymentModel, user) -> dict[str, bool]:
    """Which lifecycle buttons to draw for this user; the services check again."""

    can_change = user_can(user, "deployment_models.change_deploymentmodel")
    pending = (
        DeploymentModel.objects.filter(name=model.name, status__in=[ModelStatus.DRAFT, ModelStatus.PILOT])
        .exclude(pk=model.pk)
        .exists()
    )
    return {
        "edit": can_change and model.is_editable,
        "pilot": can_change and model.status == ModelStatus.DRAFT,
        "activate": can_change and model.status in (ModelStatus.DRAFT, ModelStatus.PILOT),
        "evaluate": can_change and model.status == ModelStatus.PILOT and not model.is_evaluated,
        "retire": can_change and model.status != ModelStatus.RETIRED,
        "new_version": user_can(user, "deployment_models.add_deploymentmodel")
        and not model.is_editable
        and not pending,
    }
