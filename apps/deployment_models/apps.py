"""App config for deployment models."""

from django.apps import AppConfig


class DeploymentModelsConfig(AppConfig):
    name = "apps.deployment_models"
    label = "deployment_models"
    verbose_name = "Deployment models"
