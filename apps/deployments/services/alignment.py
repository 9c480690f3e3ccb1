"""The partners' and consumers' alignment rating: ask each supplier and consumer contact of a completed deployment
once, through a signed link that expires, and take one answer per link (no sign-in)."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.notices import notice_recipients
from apps.audit.context import WEB
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import AlignmentRating, AlignmentRole, Deployment, EventKind
from apps.deployments.notifications import alignment_request_message
from apps.deployments.services.events import Context, event_record
from apps.deployments.services.kpi_rollup import rollup_kept
from apps.deployments.services.notices import send_each

SALT = "deploydesk.alignment-rating"
LINK_DAYS = 30  # how long a link may be answered


class LinkInvalid(Exception):
    """The link was altered, or is not one of ours."""


class LinkExpired(Exception):
    """The link is older than LINK_DAYS."""


def alignment_token(rating: AlignmentRating) -> str:
    return signing.dumps({"r": rating.pk, "e": rating.email.lower()}, salt=SALT, compress=True)


def alignment_link(rating: AlignmentRating) -> str:
    path = reverse("deployments:alignment_rate", args=[alignment_token(rating)])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def alignment_from_token(token: str) -> AlignmentRating:
    """The request a link stands for; LinkInvalid when altered (or its request is gone), LinkExpired when old."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 86400)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise LinkInvalid
    rating = (
        AlignmentRating.objects.select_related("deployment__service", "deployment__environment")
        .filter(pk=payload["r"])
        .first()
    )
    if rating is None or rating.email.lower() != payload.get("e"):
        raise LinkInvalid
    return rating


def _contacts(deployment: Deployment) -> list[tuple[str, str]]:
    """(address, role) of the suppliers' and consumers' contacts who take alignment requests, each once."""
    service = deployment.service
    pairs, seen = [], set()
    for role, emails in (
        (AlignmentRole.SUPPLIER, service.supplier_contacts),
        (AlignmentRole.CONSUMER, service.consumer_contacts),
    ):
        for email in notice_recipients(kind="alignment_rating", emails=emails):
            if email.lower() not in seen:
                seen.add(email.lower())
                pairs.append((email, role))
    return pairs


def alignment_request(*, deployment_id: int) -> list[str]:
    """Ask the supplier's and consumers' contacts of a completed deployment for their rating, once each."""
    deployment = Deployment.objects.select_related("service", "environment").get(pk=deployment_id)
    if deployment.status != workflow.Status.COMPLETED:
        return []
    contacts = _contacts(deployment)
    if not contacts:
        return []
    existing = {r.email.lower(): r for r in deployment.alignment.all()}
    for email, role in contacts:
        if email.lower() not in existing:
            existing[email.lower()] = AlignmentRating.objects.create(deployment=deployment, email=email, role=role)

    def message(email: str) -> tuple[str, str]:
        return alignment_request_message(deployment, alignment_link(existing[email.lower()]))

    groups = [
        ("suppliers", [e for e, role in contacts if role == AlignmentRole.SUPPLIER]),
        ("consumers", [e for e, role in contacts if role == AlignmentRole.CONSUMER]),
    ]
    return send_each(
        deployment=deployment,
        notice=f"alignment:{deployment_id}",
        label="Alignment rating request",
        groups=groups,
        message=message,
    )


@transaction.atomic
def alignment_answer(*, token: str, rating, comment: str = "") -> AlignmentRating:
    """Record the answer given through a link: a rating 1–5 and an optional comment, once. LinkInvalid or
    LinkExpired for a bad link, ConflictError when it was already answered, ValidationError for a bad rating."""
    request = alignment_from_token(token)
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"rating": "Choose a rating from 1 to 5."})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": "At most 2,000 characters."})
    with rollup_kept(request.deployment):  # the partner alignment KPI is kept in the rollups
        locked = AlignmentRating.objects.select_for_update().get(pk=request.pk)
        if locked.answered:
            raise ConflictError("This link has already been answered. Thank you.", code="already_answered")
        locked.rating, locked.comment, locked.answered_at = value, comment, timezone.now()
        try:
            locked.full_clean()
            locked.save(update_fields=["rating", "comment", "answered_at"])
        except IntegrityError as exc:  # pragma: no cover - the check constraint mirrors the validation above
            raise ValidationError({"rating": "Choose a rating from 1 to 5."}) from exc
    event_record(
        deployment=request.deployment,
        ctx=Context(actor=None, channel=WEB),
        kind=EventKind.FEEDBACK,
        comment=f"Alignment rated {value}/5 by {locked.email} ({locked.get_role_display().lower()})."
        + (f"\n{comment}" if comment else ""),
        data={"alignment_rating": value, "role": locked.role},
    )
    return locked
