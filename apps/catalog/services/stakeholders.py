"""Writes on a service's stakeholders: the service desk's address and its consumers' and suppliers' contacts,
the groups the worker tells what concerns them about the service's deployments."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.audit.context import audited
from apps.catalog.models import Service, validate_email_list
from apps.catalog.selectors import user_manages_service
from apps.core.services import model_update, reject_unknown

STAKEHOLDER_FIELDS = ("service_desk_email", "consumer_contacts", "supplier_contacts")


def _contact_list(value, field: str) -> list[str]:
    """A list of addresses from a list or from text (one per line, or separated by commas or semicolons),
    stripped, each once, in the order given; anything else is a ValidationError naming `field`."""
    if isinstance(value, str):
        value = [part for line in value.replace(";", ",").splitlines() for part in line.split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: "Give a list of e-mail addresses."})
    addresses = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    try:
        validate_email_list(addresses)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return addresses


@audited
def service_stakeholders_set(*, service: Service, actor, **stakeholders) -> Service:
    """Set who the worker tells about the service's deployments: the service desk's address, its consumers'
    and its suppliers' contacts (deployment managers and the service's owners). Audited through its history."""
    if not user_manages_service(user=actor, service=service):
        raise PermissionDenied(f"Only deployment managers and owners of “{service.name}” may change its stakeholders.")
    reject_unknown(stakeholders, STAKEHOLDER_FIELDS)
    fields = {}
    if "service_desk_email" in stakeholders:
        email = stakeholders["service_desk_email"]
        if not isinstance(email, str):
            raise ValidationError({"service_desk_email": "Give an e-mail address."})
        fields["service_desk_email"] = email.strip()
    for name in ("consumer_contacts", "supplier_contacts"):
        if name in stakeholders:
            fields[name] = _contact_list(stakeholders[name], name)
    with transaction.atomic():
        model_update(instance=service, fields=fields, allowed=STAKEHOLDER_FIELDS, actor=actor)
    return service
