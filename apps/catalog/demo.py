"""Demo catalog for `make run`: five services, components of every type and source with versions, suppliers of
every kind (idempotent: running it again changes nothing)."""

import hashlib

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.catalog.services import (
    component_create,
    component_version_create,
    service_create,
    service_set_owners,
    service_stakeholders_set,
    supplier_create,
)

# name, criticality, description
SERVICES = [
    ("Online shop", "critical", "The public web shop: catalogue, basket and checkout."),
    ("Payments", "critical", "Card and bank payments for the shop and the branches."),
    ("Data warehouse", "medium", "Reporting data for finance and marketing, loaded nightly."),
    ("Branch office network", "high", "Routers, switches and Wi-Fi in the 40 branch offices."),
    ("HR portal", "low", "Self-service for leave, payslips and training."),
]

# name, kind, contract, contacts
SUPPLIERS = [
    ("Northwind Software", "vendor", "CTR-2023-014", "Account manager: Dana Reyes, dana@northwind.example"),
    ("Blue Harbour Consulting", "partner", "MSA-2022-007", "Delivery lead: Ola Nordmann, +47 22 00 00 00"),
    ("Swift Parcel Logistics", "shipping", "PO-2024-311", "Dispatch desk, dispatch@swiftparcel.example"),
    ("FieldFit Installations", "installation", "CTR-2024-052", "Scheduling: install@fieldfit.example"),
    ("NearOps Deployment Team", "outsourced_team", "SOW-2024-003", "Team lead: Ravi Iyer, ravi@nearops.example"),
]

# service, component, type, source, suppliers, versions, repository kind
COMPONENTS = [
    ("Online shop", "shop-web", "software", "in_house", [], ["2.3.0", "2.4.0", "2.4.1"], "software"),
    ("Online shop", "shop-search", "software", "vendor", ["Northwind Software"], ["7.1", "7.2"], "software"),
    ("Online shop", "Shop operations runbook", "documentation", "in_house", [], ["3", "4"], "documentation"),
    ("Payments", "payment-gateway", "software", "partner", ["Blue Harbour Consulting"], ["5.0.2", "5.1.0"], "software"),
    ("Payments", "PCI DSS attestation", "documentation", "external_service", [], ["2023", "2024"], "documentation"),
    ("Payments", "Card tokenisation service", "software", "external_service", [], ["2024.1", "2024.2"], "software"),
    ("Data warehouse", "Customer master data", "data", "in_house", [], ["2024-05", "2024-06", "2024-07"], "data"),
    (
        "Data warehouse",
        "Analytics platform licence",
        "licence",
        "vendor",
        ["Northwind Software"],
        ["FY24", "FY25"],
        "licence",
    ),
    (
        "Branch office network",
        "Branch router",
        "hardware",
        "vendor",
        ["Swift Parcel Logistics", "FieldFit Installations"],
        ["RTR-9000 rev B", "RTR-9000 rev C"],
        "hardware",
    ),
    (
        "Branch office network",
        "Branch network roll-out procedure",
        "process",
        "partner",
        ["NearOps Deployment Team"],
        ["1.0", "1.1"],
        "process",
    ),
    ("HR portal", "hr-portal-app", "software", "in_house", ["NearOps Deployment Team"], ["1.8.0", "1.9.0"], "software"),
    ("HR portal", "Leave policy", "process", "in_house", [], ["2024", "2025"], "process"),
]


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def _checksum(component: str, version: str) -> str:
    return hashlib.sha256(f"{component}@{version}".encode()).hexdigest()


def seed(users: dict) -> None:
    manager = users["manager"]
    services = {}
    for name, criticality, description in SERVICES:
        service = Service.objects.filter(name=name).first()
        if service is None:
            service = service_create(name=name, criticality=criticality, description=description, actor=manager)
        services[name] = service
    # the demo service owner owns the shop and payments; the product owner owns the shop's product
    owner, product_owner = users.get("serviceowner"), users.get("productowner")
    if owner is not None:
        for name in ("Online shop", "Payments"):
            service = services[name]
            owners = set(service.owners.all()) | {owner}
            pos = set(service.product_owners.all()) | (
                {product_owner} if product_owner and name == "Online shop" else set()
            )
            service_set_owners(service=service, owners=owners, product_owners=pos, actor=manager)
    # who the worker tells about each service's deployments besides its owners
    for service in services.values():
        if not service.service_desk_email:
            service_stakeholders_set(
                service=service,
                actor=manager,
                service_desk_email="servicedesk@example.com",
                consumer_contacts=[f"{service.slug}-users@example.com"],
                supplier_contacts=[f"{service.slug}-vendor@example.com"],
            )

    suppliers = {}
    for name, kind, contract, contacts in SUPPLIERS:
        supplier = Supplier.objects.filter(name=name).first()
        if supplier is None:
            supplier = supplier_create(name=name, kind=kind, contract_ref=contract, contacts=contacts, actor=manager)
        suppliers[name] = supplier

    for service_name, name, ctype, source, supplier_names, versions, repo_kind in COMPONENTS:
        service = services[service_name]
        component = ServiceComponent.objects.filter(service=service, name=name).first()
        if component is None:
            component = component_create(
                service=service,
                name=name,
                type=ctype,
                source=source,
                suppliers=[suppliers[s] for s in supplier_names],
                actor=manager,
            )
        for version in versions:
            if ComponentVersion.objects.filter(component=component, version=version).exists():
                continue
            component_version_create(
                component=component,
                version=version,
                repository_ref=f"dml://{repo_kind}/{_slug(name)}/{_slug(version)}"
                if repo_kind in ("software", "documentation", "licence", "process")
                else f"asset://{repo_kind}/{_slug(name)}/{_slug(version)}",
                checksum=_checksum(name, version) if ctype in ("software", "data") else "",
                actor=manager,
            )
