"""Writes on services and their owners: an owner or a product owner of a service holds guardian object permissions
on it, granted and revoked here."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.context import audited, current_context
from apps.catalog.models import Service
from apps.catalog.services.common import UniqueText, stripped
from apps.catalog.services.stakeholders import STAKEHOLDER_FIELDS, service_stakeholders_set
from apps.core.permissions import require
from apps.core.services import model_update

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


NAME = UniqueText("name", "name__iexact", "Give the service a name.", "A service named “{value}” already exists.")


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
    NAME.check(Service.objects.all(), name)
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
        NAME.check(Service.objects.all(), fields["name"], exclude_pk=service.pk)
    stakeholders = {k: fields.pop(k) for k in STAKEHOLDER_FIELDS if k in fields}
    model_update(instance=service, fields=stripped(fields), allowed=SERVICE_FIELDS)
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
