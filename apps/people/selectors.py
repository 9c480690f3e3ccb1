"""Reads on people: a person's skills, the delegations a user may see, and the delegation that lets a deputy decide
on a deployment now."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from apps.core.permissions import user_can
from apps.people.models import Delegation, Skill
from apps.roles.definitions import MANAGER, PRACTITIONER

APPROVE_PERM = "deployments.approve_deployment"


def skill_list(*, user) -> QuerySet[Skill]:
    """The skills `user` recorded, by competency."""
    return Skill.objects.filter(user=user).order_by("competency", "environment_kind", "component_type")


def skills_of(*, user_ids) -> dict[int, list[Skill]]:
    """Each user's skills, in one query (the practitioner suggestions)."""
    found: dict[int, list[Skill]] = {}
    for skill in Skill.objects.filter(user_id__in=list(user_ids)):
        found.setdefault(skill.user_id, []).append(skill)
    return found


def deputy_candidates() -> QuerySet:
    """Who may be named deputy (a deployment coordinator): active users holding the practitioner or manager role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[MANAGER, PRACTITIONER])
        .distinct()
        .order_by("username")
    )


def delegation_list(*, user) -> QuerySet[Delegation]:
    """Managers see every delegation; anyone else the ones naming them deputy (nothing when signed out)."""
    queryset = Delegation.objects.select_related("manager", "deputy", "revoked_by").prefetch_related(
        "environments", "services"
    )
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user_can(user, APPROVE_PERM):
        return queryset
    return queryset.filter(deputy=user)


def delegation_for(*, deputy, environment_id: int, service_id: int, requester_id: int | None) -> Delegation | None:
    """The delegation in force now that lets `deputy` decide on a deployment into this environment for this
    service, on behalf of a manager who is still a deployment manager and did not request it (segregation of
    duties holds for the manager they stand in for); the oldest such delegation when several apply."""
    if not getattr(deputy, "is_authenticated", False) or not deputy.is_active:
        return None
    queryset = (
        Delegation.objects.active()
        .filter(deputy=deputy, deputy__groups__name__in=[MANAGER, PRACTITIONER])
        .filter(manager__is_active=True, manager__groups__name=MANAGER)
        .covering(environment_id=environment_id, service_id=service_id)
    )
    if requester_id is not None:
        queryset = queryset.exclude(manager_id=requester_id)
    return queryset.select_related("manager").order_by("created_at", "id").first()


def delegations_in_force(*, deputy) -> list[Delegation]:
    """The delegations in force now naming `deputy`, from managers who still are, with their scope (the deputy's
    approvals list)."""
    if not getattr(deputy, "is_authenticated", False):
        return []
    return list(
        Delegation.objects.active()
        .filter(deputy=deputy, manager__is_active=True, manager__groups__name=MANAGER)
        .prefetch_related("environments", "services")
        .distinct()
    )
