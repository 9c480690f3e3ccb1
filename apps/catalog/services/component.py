"""Writes on a service's components and the suppliers that supply them: by deployment managers and the service's
owners."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.context import audited
from apps.catalog.models import Service, ServiceComponent, Supplier
from apps.catalog.services.common import UniqueText, require_manages, stripped
from apps.core.services import model_update

COMPONENT_FIELDS = ("name", "type", "source", "description")


NAME = UniqueText(
    "name", "name__iexact", "Give the component a name.", "“{parent}” already has a component named “{value}”."
)


@audited
@transaction.atomic
def component_create(
    *,
    service: Service,
    name: str,
    type: str,
    source: str,
    description: str = "",
    suppliers: Iterable[Supplier] | None = None,
    actor,
) -> ServiceComponent:
    """Add a component to a service (deployment managers, or owners of that service)."""
    require_manages(actor, service, "catalog.add_servicecomponent")
    NAME.check(service.components.all(), name, parent=service.name)
    component = ServiceComponent(service=service, name=name.strip(), type=type, source=source, description=description)
    component.full_clean()
    component.save()
    if suppliers is not None:
        component.suppliers.set(suppliers)
    return component


@audited
@transaction.atomic
def component_update(*, component: ServiceComponent, actor, suppliers: Iterable | None = None, **fields):
    """Change a component (deployment managers, or owners of its service); `suppliers` replaces its suppliers."""
    require_manages(actor, component.service, "catalog.change_servicecomponent")
    if "name" in fields:
        service = component.service
        NAME.check(service.components.all(), fields["name"], exclude_pk=component.pk, parent=service.name)
    model_update(instance=component, fields=stripped(fields), allowed=COMPONENT_FIELDS)
    if suppliers is not None:
        component.suppliers.set(suppliers)
    return component


@audited
@transaction.atomic
def component_set_suppliers(*, component: ServiceComponent, suppliers: Iterable[Supplier], actor) -> ServiceComponent:
    """Link the suppliers that supply a component (deployment managers, or owners of its service)."""
    return component_update(component=component, suppliers=suppliers, actor=actor)


@audited
@transaction.atomic
def component_delete(*, component: ServiceComponent, actor) -> None:
    """Remove a component and its versions, unless a deployment refers to one of them (the record must hold)."""
    require_manages(actor, component.service, "catalog.delete_servicecomponent")
    if component.versions.filter(deployments__isnull=False).exists():
        raise ValidationError(f"“{component.name}” cannot be removed: deployments refer to its versions.")
    component.delete()
