"""What the catalog's writes share: who manages a service's components, text stored stripped, checksums normalised,
and names that must be given and not taken."""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class UniqueText:
    """A text field that must be given and that no other row may hold (`lookup` compares them): `blank` is said when
    it is empty, `taken` when another row holds it, with {value} and {parent} (the row it belongs to) filled in."""

    field: str
    lookup: str
    blank: str
    taken: str

    def check(self, rows: QuerySet, value: str, *, exclude_pk: int | None = None, parent: str = "") -> None:
        """Refuse `value` when it is blank or held by one of `rows` other than `exclude_pk` (the row being changed)."""
        if not (value or "").strip():
            raise ValidationError({self.field: self.blank})
        clash = rows.filter(**{self.lookup: value.strip()})
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            raise ValidationError({self.field: self.taken.format(value=value.strip(), parent=parent)})
