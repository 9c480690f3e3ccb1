"""App config for deployment models."""

from django.apps import AppConfig


class DeploymentModelsConfig(AppConfig):
    name = "apps.deployment_models"
    label = "deployment_models"
    verbose_name = "Deployment models"

    def ready(self) -> None:
        from apps.core.generations import REFERENCE_GENERATION, bump_on_change
        from apps.deployment_models.models import DeploymentModel

        bump_on_change(DeploymentModel, REFERENCE_GENERATION)  # the register's model list
