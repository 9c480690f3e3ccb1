"""App config for the service catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Service catalog"

    def ready(self) -> None:
        from apps.catalog.models import Service, Supplier
        from apps.core.generations import REFERENCE_GENERATION, bump_on_change

        for model in (Service, Supplier):  # the register's service and supplier lists
            bump_on_change(model, REFERENCE_GENERATION)
