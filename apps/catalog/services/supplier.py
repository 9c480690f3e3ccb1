"""Writes on suppliers: the components they supply and the users who are their contacts (deployment managers)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.context import audited
from apps.catalog.models import ServiceComponent, Supplier
from apps.catalog.services.common import UniqueText, stripped
from apps.core.permissions import require
from apps.core.services import model_update
from apps.roles import definitions as roles

SUPPLIER_FIELDS = ("name", "kind", "contract_ref", "contacts")


NAME = UniqueText("name", "name__iexact", "Give the supplier a name.", "A supplier named “{value}” already exists.")


def _link(supplier: Supplier, components: Iterable | None, contact_users: Iterable | None) -> None:
    """Link the supplier to the components it supplies and to the users who are its contacts (each left as it is
    when None). A contact must hold the Supplier contact role (DESIGN.md §1), the role that this link scopes to the
    supplier's deployments."""
    if components is not None:
        supplier.components.set(components)
    if contact_users is None:
        return
    users = list(contact_users)
    if outsiders := sorted(u.username for u in users if not u.groups.filter(name=roles.SUPPLIER_CONTACT).exists()):
        raise ValidationError(
            {
                "contact_users": f"Only holders of the {roles.SUPPLIER_CONTACT} role can be a supplier's contacts: "
                f"{', '.join(outsiders)}."
            }
        )
    supplier.contact_users.set(users)


@audited
@transaction.atomic
def supplier_create(
    *,
    name: str,
    kind: str,
    contract_ref: str = "",
    contacts: str = "",
    components: Iterable[ServiceComponent] | None = None,
    contact_users: Iterable | None = None,
    actor,
) -> Supplier:
    """Add a supplier (deployment managers), optionally linked to the components it supplies and to the users who
    are its contacts (the Supplier contact role)."""
    require(actor, "catalog.add_supplier")
    NAME.check(Supplier.objects.all(), name)
    supplier = Supplier(name=name.strip(), kind=kind, contract_ref=contract_ref.strip(), contacts=contacts)
    supplier.full_clean()
    supplier.save()
    _link(supplier, components, contact_users)
    return supplier


@audited
@transaction.atomic
def supplier_update(
    *, supplier: Supplier, actor, components: Iterable | None = None, contact_users: Iterable | None = None, **fields
) -> Supplier:
    """Change a supplier (deployment managers); `components` replaces the components it is linked to and
    `contact_users` the users who are its contacts."""
    require(actor, "catalog.change_supplier")
    if "name" in fields:
        NAME.check(Supplier.objects.all(), fields["name"], exclude_pk=supplier.pk)
    model_update(instance=supplier, fields=stripped(fields), allowed=SUPPLIER_FIELDS)
    _link(supplier, components, contact_users)
    return supplier


@audited
@transaction.atomic
def supplier_set_components(*, supplier: Supplier, components: Iterable[ServiceComponent], actor) -> Supplier:
    """Link a supplier to the components it supplies (deployment managers)."""
    return supplier_update(supplier=supplier, components=components, actor=actor)


@audited
@transaction.atomic
def supplier_delete(*, supplier: Supplier, actor) -> None:
    """Remove a supplier (deployment managers), unless deployments record it as taking part."""
    require(actor, "catalog.delete_supplier")
    if supplier.deployments.exists():
        raise ValidationError(f"“{supplier.name}” cannot be removed: deployments record it as taking part.")
    supplier.delete()
