"""The catalog's part of the shared test world: a service with owners, another service, components, versions."""

from apps.catalog.models import ComponentSource, ComponentType, SupplierKind
from apps.catalog.services import (
    component_create,
    component_version_create,
    service_create,
    supplier_create,
)
from tests.factories.catalog import sha256_of


def extend(w) -> None:
    manager = w.users["manager"]
    w.service = service_create(
        name="Online shop",
        criticality="high",
        description="The public web shop.",
        owners=[w.users["service_owner"]],
        product_owners=[w.users["product_owner"]],
        actor=manager,
    )
    w.other_service = service_create(name="Payroll", criticality="medium", actor=manager)
    w.supplier = supplier_create(
        name="Acme Hosting",
        kind=SupplierKind.VENDOR,
        contract_ref="CTR-2024-001",
        contact_users=[w.users["supplier_contact"]],
        actor=manager,
    )
    w.component = component_create(
        service=w.service,
        name="shop-web",
        type=ComponentType.SOFTWARE,
        source=ComponentSource.IN_HOUSE,
        suppliers=[w.supplier],
        actor=manager,
    )
    w.version_1 = component_version_create(
        component=w.component,
        version="1.0.0",
        repository_ref="dml://software/shop-web/1.0.0",
        checksum=sha256_of("shop-web-1.0.0"),
        actor=manager,
    )
    w.version_2 = component_version_create(
        component=w.component,
        version="1.1.0",
        repository_ref="dml://software/shop-web/1.1.0",
        checksum=sha256_of("shop-web-1.1.0"),
        actor=manager,
    )
    w.other_component = component_create(
        service=w.other_service,
        name="payroll-batch",
        type=ComponentType.SOFTWARE,
        source=ComponentSource.VENDOR,
        actor=manager,
    )
    w.other_version = component_version_create(
        component=w.other_component,
        version="3.2.0",
        repository_ref="dml://software/payroll-batch/3.2.0",
        checksum=sha256_of("payroll-batch-3.2.0"),
        actor=manager,
    )
