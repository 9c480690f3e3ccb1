"""Registers the catalog's API resources on the v1 router (DESIGN.md §5)."""

from apps.catalog.api.views import ComponentVersionViewSet, ComponentViewSet, ServiceViewSet, SupplierViewSet


def register(router) -> None:
    router.register("services", ServiceViewSet, basename="service")
    router.register("components", ComponentViewSet, basename="component")
    router.register("component-versions", ComponentVersionViewSet, basename="componentversion")
    router.register("suppliers", SupplierViewSet, basename="supplier")
