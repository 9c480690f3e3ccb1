"""Factories for the catalog: suppliers, services, components and versions (deterministic)."""

import hashlib

import factory

from apps.catalog.models import (
    ComponentSource,
    ComponentType,
    ComponentVersion,
    Service,
    ServiceComponent,
    Supplier,
    SupplierKind,
)


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    kind = SupplierKind.VENDOR
    contract_ref = factory.Sequence(lambda n: f"CTR-{n:04d}")
    contacts = "Sales desk, sales@supplier.example, +44 20 7946 0000"


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service; owners set with the factory do NOT get object permissions — use service_set_owners for that."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    description = "A service used in tests."
    criticality = "medium"


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceComponent

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"component-{n}")
    type = ComponentType.SOFTWARE
    source = ComponentSource.IN_HOUSE


class ComponentVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentVersion

    component = factory.SubFactory(ComponentFactory)
    version = factory.Sequence(lambda n: f"0.{n}.1")  # never one of the hand-named versions of the tests
    repository_ref = factory.LazyAttribute(lambda o: f"dml://software/{o.component.name}/{o.version}")
    checksum = factory.LazyAttribute(lambda o: sha256_of(f"{o.component.name}-{o.version}"))
