"""Every write on the catalog: services and their owners (with guardian object permissions), components, versions
and suppliers. Permissions are checked here, for the pages, the API, the admin and the pipelines alike."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.context import audited, current_context
from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier, validate_sha256
from apps.catalog.selectors import FROZEN_FIELDS, component_version_frozen_by, user_manages_service
from apps.catalog.services_stakeholders import STAKEHOLDER_FIELDS, service_stakeholders_set
from apps.core.permissions import require, user_can
from apps.core.services import model_update
from apps.roles import definitions as roles

User = get_user_model()

# The object permissions that being an owner or a product owner of a service gives on it.
OWNER_PERMS = (
    "catalog.manage_service_components",
    "catalog.request_service_deployment",
    "catalog.signoff_service_deployment",
)
PRODUCT_OWNER_PERMS = ("catalog.request_service_deployment",)

RESERVED_SLUGS = {"new"}  # /services/new/ is the form
SERVICE_FIELDS = ("name", "description", "criticality", "is_active")
COMPONENT_FIELDS = ("name", "type", "source", "description")
VERSION_FIELDS = ("version", "repository_ref", "checksum", "notes")
SUPPLIER_FIELDS = ("name", "kind", "contract_ref", "contacts")


# --- helpers ---------------------------------------------------------------------------------------------------


def require_manages(actor, service: Service, perm: str) -> None:
    """A deployment manager (global `perm`) or an owner of this service (object permission); the API asks it
    before reading a request's body."""
    if not (user_can(actor, perm) or user_manages_service(user=actor, service=service)):
        raise PermissionDenied(f"Only deployment managers and owners of “{service.name}” may change its components.")


def _stripped(fields: dict) -> dict:
    """Text fields are stored without surrounding blanks (the contacts are free text and kept as typed)."""
    return {k: v.strip() if isinstance(v, str) and k != "contacts" else v for k, v in fields.items()}


def normalise_checksum(value: str | None) -> str:
    """Checksums are stored as 64 lowercase hex digits; uppercase input is accepted and lower-cased."""
    value = (value or "").strip().lower()
    try:
        validate_sha256(value)
    except ValidationError as exc:
        raise ValidationError({"checksum": exc.messages}) from exc
    return value


# --- services --------------------------------------------------------------------------------------------------


def _check_service_name(name: str, *, exclude_pk: int | None = None) -> None:
    if not (name or "").strip():
        raise ValidationError({"name": "Give the service a name."})
    clash = Service.objects.filter(name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"A service named “{name.strip()}” already exists."})


def _unique_slug(name: str) -> str:
    base = slugify(name)[:140] or "service"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Service.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@audited
@transaction.atomic
def service_create(
    *,
    name: str,
    criticality: str = "medium",
    description: str = "",
    owners: Iterable = (),
    product_owners: Iterable = (),
    is_active: bool = True,
    actor,
    **stakeholders,
) -> Service:
    """Add a service to the catalog (deployment managers); its owners get their object permissions, and its
    stakeholders (service_desk_email, consumer_contacts, supplier_contacts) are set when given."""
    require(actor, "catalog.add_service")
    _check_service_name(name)
    service = Service(name=name.strip(), description=description, criticality=criticality, is_active=is_active)
    service.slug = _unique_slug(service.name)
    service.full_clean()
    service.save()
    service_set_owners(service=service, owners=owners, product_owners=product_owners, actor=actor)
    if stakeholders:
        service_stakeholders_set(service=service, actor=actor, channel=current_context().channel, **stakeholders)
    return service


@audited
@transaction.atomic
def service_update(
    *, service: Service, actor, owners: Iterable | None = None, product_owners=None, **fields
) -> Service:
    """Change a service's name, description, criticality or activity (deployment managers); the slug stays, so
    bookmarked addresses keep working. Owners and product owners, when given, go through service_set_owners."""
    require(actor, "catalog.change_service")
    if "name" in fields:
        _check_service_name(fields["name"], exclude_pk=service.pk)
    stakeholders = {k: fields.pop(k) for k in STAKEHOLDER_FIELDS if k in fields}
    model_update(instance=service, fields=_stripped(fields), allowed=SERVICE_FIELDS)
    if stakeholders:
        service_stakeholders_set(service=service, actor=actor, channel=current_context().channel, **stakeholders)
    if owners is not None or product_owners is not None:
        service_set_owners(
            service=service,
            owners=service.owners.all() if owners is None else owners,
            product_owners=service.product_owners.all() if product_owners is None else product_owners,
            actor=actor,
        )
    return service


def _perms_for(user_pk: int, owner_pks: set[int], po_pks: set[int]) -> set[str]:
    perms = set()
    if user_pk in owner_pks:
        perms.update(OWNER_PERMS)
    if user_pk in po_pks:
        perms.update(PRODUCT_OWNER_PERMS)
    return perms


def _user_pks(users: Iterable, field: str) -> set[int]:
    try:
        return {u.pk if hasattr(u, "pk") else int(u) for u in users}
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: "Give users by their ids."}) from exc


@audited
@transaction.atomic
def service_set_owners(*, service: Service, owners: Iterable, product_owners: Iterable, actor) -> Service:
    """Set who owns a service and who is its product owner, granting and revoking their object permissions.

    A user keeps what the new membership still gives them (an owner demoted to product owner keeps
    `request_service_deployment`) and loses exactly the rest.
    """
    require(actor, "catalog.change_service")
    new_owners, new_pos = _user_pks(owners, "owners"), _user_pks(product_owners, "product_owners")
    found = set(User.objects.filter(pk__in=new_owners | new_pos).values_list("pk", flat=True))
    missing = (new_owners | new_pos) - found
    if missing:
        raise ValidationError({"owners": f"Unknown users: {', '.join(str(pk) for pk in sorted(missing))}."})
    old_owners = set(service.owners.values_list("pk", flat=True))
    old_pos = set(service.product_owners.values_list("pk", flat=True))
    users = {u.pk: u for u in User.objects.filter(pk__in=old_owners | old_pos | new_owners | new_pos)}
    for pk, user in users.items():
        before = _perms_for(pk, old_owners, old_pos)
        after = _perms_for(pk, new_owners, new_pos)
        for perm in sorted(before - after):
            remove_perm(perm, user, service)
        for perm in sorted(after):
            assign_perm(perm, user, service)
    service.owners.set(new_owners)
    service.product_owners.set(new_pos)
    return service


# --- components ------------------------------------------------------------------------------------------------


def _check_component_name(service: Service, name: str, *, exclude_pk: int | None = None) -> None:
    if not (name or "").strip():
        raise ValidationError({"name": "Give the component a name."})
    clash = service.components.filter(name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"“{service.name}” already has a component named “{name.strip()}”."})


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
    _check_component_name(service, name)
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
        _check_component_name(component.service, fields["name"], exclude_pk=component.pk)
    model_update(instance=component, fields=_stripped(fields), allowed=COMPONENT_FIELDS)
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


# --- versions --------------------------------------------------------------------------------------------------


def _check_version(component: ServiceComponent, version: str, *, exclude_pk: int | None = None) -> None:
    if not (version or "").strip():
        raise ValidationError({"version": "Give the version string, e.g. 2.4.1."})
    clash = component.versions.filter(version=version.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"version": f"Version {version.strip()} of “{component.name}” already exists."})


@audited
@transaction.atomic
def component_version_create(
    *, component: ServiceComponent, version: str, repository_ref: str, checksum: str = "", notes: str = "", actor
) -> ComponentVersion:
    """Register a version of a component with its DML / asset-register reference and SHA-256 checksum."""
    require_manages(actor, component.service, "catalog.add_componentversion")
    errors: dict[str, list[str]] = {}
    for check in (lambda: _check_version(component, version), lambda: normalise_checksum(checksum)):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    obj = ComponentVersion(
        component=component,
        version=version.strip(),
        repository_ref=(repository_ref or "").strip(),
        checksum=normalise_checksum(checksum),
        notes=notes,
    )
    obj.full_clean()
    obj.save()
    return obj


@audited
@transaction.atomic
def component_version_update(*, component_version: ComponentVersion, actor, **fields) -> ComponentVersion:
    """Correct a version's string, reference, checksum or notes (deployment managers, or the service's owners)."""
    obj = component_version
    require_manages(actor, obj.component.service, "catalog.change_componentversion")
    if "version" in fields:
        _check_version(obj.component, fields["version"], exclude_pk=obj.pk)
    if "checksum" in fields:
        fields["checksum"] = normalise_checksum(fields["checksum"])
    component_version_check_frozen(component_version=obj, fields=fields)
    model_update(instance=obj, fields=_stripped(fields), allowed=VERSION_FIELDS)
    return obj


def component_version_check_frozen(*, component_version: ComponentVersion, fields: dict) -> None:
    """Refuse a change of checksum or repository reference once an approved or finished deployment carries the
    version: what was approved and deployed must stay what the record says. A correction is a new version."""
    changed = [
        name
        for name in FROZEN_FIELDS
        if name in fields and (fields[name] or "").strip() != (getattr(component_version, name) or "")
    ]
    if not changed:
        return
    used = component_version_frozen_by(component_version=component_version)
    if used is None:
        return
    status = used["status"].replace("_", " ")
    message = (
        f"Version {component_version.version} of “{component_version.component.name}” is on "
        f"{used['reference']} ({status}): its checksum and repository reference are frozen. "
        "Register the correction as a new version."
    )
    raise ValidationError({name: ValidationError(message, code="version_frozen") for name in changed})


@audited
@transaction.atomic
def component_version_get_or_create(
    *, component: ServiceComponent, version: str, repository_ref: str, checksum: str = "", actor
) -> tuple[ComponentVersion, bool]:
    """For pipelines: the version if it is registered already (same checksum), else a new one. Returns
    (version, created). A registered version with a different checksum is refused: what was built is not what
    the repository holds."""
    require_manages(actor, component.service, "catalog.add_componentversion")
    checksum = normalise_checksum(checksum)
    existing = (
        ComponentVersion.objects.select_for_update()
        .filter(component=component, version=(version or "").strip())
        .first()
    )
    if existing is None:
        return (
            component_version_create(
                component=component, version=version, repository_ref=repository_ref, checksum=checksum, actor=actor
            ),
            True,
        )
    if checksum and existing.checksum != checksum:
        raise ValidationError(
            {
                "checksum": f"Version {existing.version} of “{component.name}” is registered with checksum "
                f"{existing.checksum or '(none)'}, not {checksum}."
            }
        )
    return existing, False


# --- suppliers -------------------------------------------------------------------------------------------------


def _check_supplier_name(name: str, *, exclude_pk: int | None = None) -> None:
    if not (name or "").strip():
        raise ValidationError({"name": "Give the supplier a name."})
    clash = Supplier.objects.filter(name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"A supplier named “{name.strip()}” already exists."})


def _set_contact_users(supplier: Supplier, users: Iterable) -> None:
    """The users who are this supplier's contacts: each must hold the Supplier contact role (DESIGN.md §1), the role
    that this link scopes to the supplier's deployments."""
    users = list(users)
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
    _check_supplier_name(name)
    supplier = Supplier(name=name.strip(), kind=kind, contract_ref=contract_ref.strip(), contacts=contacts)
    supplier.full_clean()
    supplier.save()
    if components is not None:
        supplier.components.set(components)
    if contact_users is not None:
        _set_contact_users(supplier, contact_users)
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
        _check_supplier_name(fields["name"], exclude_pk=supplier.pk)
    model_update(instance=supplier, fields=_stripped(fields), allowed=SUPPLIER_FIELDS)
    if components is not None:
        supplier.components.set(components)
    if contact_users is not None:
        _set_contact_users(supplier, contact_users)
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
