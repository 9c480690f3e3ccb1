"""App config for environments and their freeze and maintenance windows."""

from django.apps import AppConfig


class EnvironmentsConfig(AppConfig):
    name = "apps.environments"
    label = "environments"
    verbose_name = "Environments"

    def ready(self) -> None:
        from apps.core.generations import REFERENCE_GENERATION, bump_on_change
        from apps.environments.models import Environment

        bump_on_change(Environment, REFERENCE_GENERATION)  # the register's environment list
