"""Writes on component versions: registered with their reference into the authorised repository and their SHA-256
checksum, which freeze once an approved or finished deployment carries the version."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.context import audited
from apps.catalog.models import ComponentVersion, ServiceComponent
from apps.catalog.selectors import FROZEN_FIELDS, component_version_frozen_by
from apps.catalog.services.common import UniqueText, normalise_checksum, require_manages, stripped
from apps.core.services import model_update

VERSION_FIELDS = ("version", "repository_ref", "checksum", "notes")


VERSION = UniqueText(
    "version", "version", "Give the version string, e.g. 2.4.1.", "Version {value} of “{parent}” already exists."
)


@audited
@transaction.atomic
def component_version_create(
    *, component: ServiceComponent, version: str, repository_ref: str, checksum: str = "", notes: str = "", actor
) -> ComponentVersion:
    """Register a version of a component with its DML / asset-register reference and SHA-256 checksum."""
    require_manages(actor, component.service, "catalog.add_componentversion")
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: VERSION.check(component.versions.all(), version, parent=component.name),
        lambda: normalise_checksum(checksum),
    ):
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
        VERSION.check(obj.component.versions.all(), fields["version"], exclude_pk=obj.pk, parent=obj.component.name)
    if "checksum" in fields:
        fields["checksum"] = normalise_checksum(fields["checksum"])
    component_version_check_frozen(component_version=obj, fields=fields)
    model_update(instance=obj, fields=stripped(fields), allowed=VERSION_FIELDS)
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
