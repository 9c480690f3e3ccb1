"""Every write on the catalog, one module per model: services and their owners (with guardian object permissions)
and stakeholders, components, versions and suppliers. Permissions are checked here, for the pages, the API, the admin
and the pipelines alike; callers use the package: `from apps.catalog import services`."""

from apps.catalog.services.common import normalise_checksum, require_manages
from apps.catalog.services.component import (
    component_create,
    component_delete,
    component_set_suppliers,
    component_update,
)
from apps.catalog.services.service import service_create, service_set_owners, service_update
from apps.catalog.services.stakeholders import service_stakeholders_set
from apps.catalog.services.supplier import supplier_create, supplier_delete, supplier_set_components, supplier_update
from apps.catalog.services.version import (
    component_version_check_frozen,
    component_version_create,
    component_version_get_or_create,
    component_version_update,
)

__all__ = [
    "component_create",
    "component_delete",
    "component_set_suppliers",
    "component_update",
    "component_version_check_frozen",
    "component_version_create",
    "component_version_get_or_create",
    "component_version_update",
    "normalise_checksum",
    "require_manages",
    "service_create",
    "service_set_owners",
    "service_stakeholders_set",
    "service_update",
    "supplier_create",
    "supplier_delete",
    "supplier_set_components",
    "supplier_update",
]
