"""What the catalog's writes share: who manages a service's components, text stored stripped, checksums normalised,
and names that must be given and not taken."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from apps.catalog.models import Service, validate_sha256
from apps.catalog.selectors import user_manages_service
from apps.core.permissions import user_can


def require_manages(actor, service: Service, perm: str) -> None:
    """A deployment manager (global `perm`) or an owner of this service (object permission); the API asks it
    before reading a request's body."""
    if not (user_can(actor, perm) or user_manages_service(user=actor, service=service)):
        raise PermissionDenied(f"Only deployment managers and owners of “{service.name}” may change its components.")


def stripped(fields: dict) -> dict:
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


def require_unique(
    value: str,
    *,
    field: str,
    rows: QuerySet,
    lookup: str,
    blank: str,
    taken: Callable[[str], str],
    exclude_pk: int | None = None,
) -> None:
    """Refuse a blank `value` (saying `blank`) and one that another of `rows` already has in `lookup` (saying
    `taken(value)`); `exclude_pk` is the row being changed."""
    if not (value or "").strip():
        raise ValidationError({field: blank})
    clash = rows.filter(**{lookup: value.strip()})
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({field: taken(value.strip())})
