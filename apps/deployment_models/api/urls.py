"""API routes of deployment models: /api/v1/deployment-models/, /model-stages/, /responsibilities/."""

from apps.deployment_models.api.views import DeploymentModelViewSet, ModelStageViewSet, ResponsibilityViewSet


def register(router) -> None:
    router.register("deployment-models", DeploymentModelViewSet, basename="deployment-model")
    router.register("model-stages", ModelStageViewSet, basename="model-stage")
    router.register("responsibilities", ResponsibilityViewSet, basename="responsibility")
