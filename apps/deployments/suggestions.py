"""Practitioner suggestions for the planning form: who has the skills for the deployment (the technical-expert
competency, for its environment kind and component types), is cleared for its environment and is free in its
window — best first, each with the reason shown."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.environments.selectors import cleared_user_ids
from apps.people.selectors import skills_of
from apps.roles.definitions import PRACTITIONER
from apps.roles.models import CompetencyProfile

TECHNICAL = CompetencyProfile.TECHNICAL_EXPERT


@dataclass
class Suggestion:
    user: object
    score: int
    reasons: list[str] = field(default_factory=list)


def _fit(skills, environment_kind: str, component_types: set[str]) -> tuple[int, list[str]]:
    """Score a person's technical-expert skills against the deployment: a skill counts where its environment kind
    and component type are empty (any) or match; the best level per aspect counts once."""
    general = kind = 0
    types: dict[str, int] = {}
    for skill in skills:
        if skill.competency != TECHNICAL:
            continue
        if skill.environment_kind and skill.environment_kind != environment_kind:
            continue
        if skill.component_type and skill.component_type not in component_types:
            continue
        if skill.environment_kind:
            kind = max(kind, skill.level)
        if skill.component_type:
            types[skill.component_type] = max(types.get(skill.component_type, 0), skill.level)
        if not skill.environment_kind and not skill.component_type:
            general = max(general, skill.level)
    reasons = []
    if general:
        reasons.append(f"technical expert (level {general})")
    if kind:
        reasons.append(f"skilled in {environment_kind} environments (level {kind})")
    reasons += [f"skilled in {name} components (level {level})" for name, level in sorted(types.items())]
    return general + 2 * kind + 2 * sum(types.values()), reasons


def practitioner_suggestions(
    *, environment, component_types, start, end, exclude_deployment_id: int | None = None, limit: int = 5
) -> list[Suggestion]:
    """The practitioners whose technical-expert skills fit, cleared for `environment` (where it is controlled) and
    not booked on an overlapping deployment, best first; a bounded number of queries whatever their number."""
    if environment is None or start is None or end is None or end <= start:
        return []
    people = list(
        get_user_model().objects.filter(is_active=True, groups__name=PRACTITIONER).distinct().order_by("username")
    )
    ids = [p.pk for p in people]
    skills = skills_of(user_ids=ids)
    cleared = cleared_user_ids(environment=environment, user_ids=ids) if environment.controlled else set(ids)
    overlapping = Deployment.objects.filter(
        status__in=workflow.PLANNED, planned_start__lt=end, planned_end__gt=start, practitioners__in=ids
    )
    if exclude_deployment_id:
        overlapping = overlapping.exclude(pk=exclude_deployment_id)
    booked = set(overlapping.values_list("practitioners", flat=True))
    found = []
    for person in people:
        if person.pk not in cleared or person.pk in booked:
            continue
        score, reasons = _fit(skills.get(person.pk, []), environment.kind, set(component_types))
        if score:
            cleared_reason = (
                f"cleared for {environment}" if environment.controlled else f"{environment} needs no clearance"
            )
            found.append(
                Suggestion(user=person, score=score, reasons=[*reasons, cleared_reason, "free in this window"])
            )
    found.sort(key=lambda s: (-s.score, s.user.username))
    return found[:limit]
