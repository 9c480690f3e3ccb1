"""Demo people for `make run`: the practitioner's skills, a clearance that expires soon (so the expiring list and
its reminder have something to show), and a delegation of the manager's approval for staging (idempotent)."""

import datetime as dt

from django.utils import timezone

from apps.catalog.models import ComponentType
from apps.environments.models import Clearance, Environment, EnvironmentKind
from apps.people.models import Delegation, Skill, SkillLevel

SKILLS = [
    ("T", "", "", SkillLevel.EXPERT, "Linux, Kubernetes, Terraform"),
    ("T", EnvironmentKind.PRODUCTION, "", SkillLevel.PRACTISED, "On the production on-call rota"),
    ("T", "", ComponentType.SOFTWARE, SkillLevel.EXPERT, "Container releases"),
    ("A", "", "", SkillLevel.PRACTISED, "Keeps the evidence tidy"),
]


def seed(users: dict) -> None:
    practitioner, manager = users.get("practitioner"), users.get("manager")
    if practitioner is None or manager is None:
        return
    for competency, kind, ctype, level, note in SKILLS:
        Skill.objects.update_or_create(
            user=practitioner,
            competency=competency,
            environment_kind=kind,
            component_type=ctype,
            defaults={"level": level, "note": note},
        )
    now = timezone.now()
    Clearance.objects.filter(environment__slug="staging", user=practitioner).update(
        expires_at=now + dt.timedelta(days=10), reason="Temporary cover for the staging rota."
    )
    staging = Environment.objects.filter(slug="staging").first()
    if staging is not None and not Delegation.objects.filter(manager=manager, deputy=practitioner).exists():
        delegation = Delegation.objects.create(
            manager=manager,
            deputy=practitioner,
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=13),
            reason="Release-manager holiday: Pat decides staging deployments.",
        )
        delegation.environments.set([staging])
