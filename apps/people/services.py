"""Every write on people: a person's own skills, and delegations of approval (create, revoke). Each write is
audited with the actor and the channel the caller names (@audited): the history of the rows enters the audit chain,
and a delegation's scope is entered with it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.chain import audit_append, audit_batch
from apps.audit.context import audited, current_context
from apps.core.exceptions import ConflictError
from apps.core.permissions import is_signed_in, require
from apps.core.services import model_save, model_update
from apps.people.models import Delegation, Skill
from apps.people.selectors import APPROVE_PERM, deputy_candidates

SKILL_FIELDS = {"competency", "environment_kind", "component_type", "level", "note"}
DELEGATION_REFUSAL = "Only deployment managers delegate approval."


def _skill_clash() -> ValidationError:
    return ValidationError("You already recorded this competency for this environment kind and component type.")


@audited
@transaction.atomic
def skill_record(
    *, actor, competency: str, level: int, environment_kind: str = "", component_type: str = "", note: str = ""
) -> Skill:
    """Record (or update the level of) one of `actor`'s own skills: a competency, optionally for an environment
    kind and/or a component type."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to record your skills.")
    skill = (
        Skill.objects.select_for_update()
        .filter(
            user=actor,
            competency=competency,
            environment_kind=environment_kind or "",
            component_type=component_type or "",
        )
        .first()
    ) or Skill(user=actor)
    fields = {
        "competency": competency,
        "environment_kind": environment_kind or "",
        "component_type": component_type or "",
        "level": level,
        "note": (note or "").strip(),
    }
    with audit_batch():
        return model_update(instance=skill, fields=fields, allowed=SKILL_FIELDS, actor=actor, clash=_skill_clash)


@audited
@transaction.atomic
def skill_remove(*, actor, skill: Skill) -> None:
    """Remove one of `actor`'s own skills (nobody removes another person's)."""
    if not is_signed_in(actor) or skill.user_id != actor.pk:
        raise PermissionDenied("You can remove only your own skills.")
    skill._history_user = actor
    with audit_batch():
        skill.delete()


def _audit_scope(delegation: Delegation, actor) -> None:
    audit_append(
        actor=actor,
        channel=current_context().channel,
        action="scoped",
        object_type="people.delegation",
        object_id=delegation.pk,
        object_repr=str(delegation),
        changes={
            "environments": sorted(e.slug for e in delegation.environments.all()),
            "services": sorted(s.name for s in delegation.services.all()),
        },
    )


@audited
@transaction.atomic
def delegation_create(
    *, actor, deputy, starts_at, ends_at, environments=(), services=(), reason: str = ""
) -> Delegation:
    """Delegate `actor`'s approval to `deputy` from `starts_at` to `ends_at`, for the given environments and/or
    services (at least one). The deputy is a deployment coordinator: an active user with the practitioner or the
    manager role, never the manager themselves."""
    require(actor, APPROVE_PERM, message=DELEGATION_REFUSAL)
    environments, services = list(environments or []), list(services or [])
    errors = {}
    if deputy is None or not deputy_candidates().filter(pk=deputy.pk).exists():
        errors["deputy"] = "The deputy must be an active deployment practitioner or deployment manager."
    elif deputy.pk == actor.pk:
        errors["deputy"] = "You cannot delegate to yourself."
    if starts_at is None or ends_at is None:
        errors["ends_at"] = "Give the period: a start and an end."
    elif ends_at <= starts_at:
        errors["ends_at"] = "The end must come after the start."
    elif ends_at <= timezone.now():
        errors["ends_at"] = "The period is already over."
    if not environments and not services:
        errors["environments"] = "Name at least one environment or service the deputy may decide on."
    if errors:
        raise ValidationError(errors)
    delegation = Delegation(
        manager=actor, deputy=deputy, starts_at=starts_at, ends_at=ends_at, reason=(reason or "").strip()
    )
    with audit_batch():
        model_save(delegation, actor=actor)
        delegation.environments.set(environments)
        delegation.services.set(services)
        _audit_scope(delegation, actor)
    return delegation


@audited
@transaction.atomic
def delegation_revoke(*, actor, delegation: Delegation) -> Delegation:
    """End a delegation now: the delegating manager, or any deployment manager, may."""
    require(actor, APPROVE_PERM, message="Only deployment managers revoke delegations.")
    locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if locked.revoked_at is not None:
        raise ConflictError("This delegation is already revoked.", code="already_revoked")
    if locked.ends_at <= timezone.now():
        raise ConflictError("This delegation has already ended.", code="already_ended")
    with audit_batch():
        return model_update(
            instance=locked,
            fields={"revoked_at": timezone.now(), "revoked_by": actor},
            allowed={"revoked_at", "revoked_by"},
            actor=actor,
        )
