"""People: the skills each person records (competencies of the practice guides, optionally for an environment kind
or a component type) and a deployment manager's delegation of approval to a deputy."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.catalog.models import ComponentType, Service
from apps.environments.models import Environment, EnvironmentKind
from apps.roles.models import CompetencyProfile


class SkillLevel(models.IntegerChoices):
    AWARENESS = 1, "Awareness"
    PRACTISED = 2, "Practised"
    EXPERT = 3, "Expert"
    AUTHORITY = 4, "Authority (teaches others)"


class Skill(models.Model):
    """One competency a person is skilled in, at a level, optionally only for an environment kind and/or a component
    type (e.g. technical expert, level Expert, in production, for software)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills")
    competency = models.CharField(max_length=1, choices=CompetencyProfile.choices)
    environment_kind = models.CharField(max_length=20, choices=EnvironmentKind.choices, blank=True)
    component_type = models.CharField(max_length=20, choices=ComponentType.choices, blank=True)
    level = models.PositiveSmallIntegerField(choices=SkillLevel.choices, default=SkillLevel.PRACTISED)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user", "competency", "environment_kind", "component_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "competency", "environment_kind", "component_type"], name="unique_skill"
            )
        ]

    def __str__(self) -> str:
        scope = " · ".join(
            filter(
                None,
                [
                    self.get_environment_kind_display() if self.environment_kind else "",
                    self.get_component_type_display() if self.component_type else "",
                ],
            )
        )
        where = f" in {scope}" if scope else ""
        return f"{self.user}: {self.get_competency_display()} ({self.get_level_display()}){where}"


class DelegationQuerySet(models.QuerySet):
    def active(self, at=None):
        """Delegations in force at `at` (now): begun, not ended, not revoked."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, revoked_at__isnull=True)

    def covering(self, *, environment_id: int, service_id: int):
        """Delegations whose scope holds the environment and the service: each non-empty set must hold it."""
        return self.filter(
            Q(environments__isnull=True) | Q(environments=environment_id),
            Q(services__isnull=True) | Q(services=service_id),
        ).distinct()


class Delegation(models.Model):
    """A deployment manager's approval, delegated to a named deputy (a deployment coordinator: a user with the
    practitioner or the manager role) for a period and a set of environments and/or services. While it is in force
    the deputy approves and rejects deployments in scope on the manager's behalf."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    deputy = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_held")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    environments = models.ManyToManyField(Environment, blank=True, related_name="+")
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = DelegationQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_ends_after_start"),
            models.CheckConstraint(condition=~Q(manager=models.F("deputy")), name="delegation_not_to_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.manager} → {self.deputy} ({self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d})"

    @property
    def status(self) -> str:
        now = timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.ends_at <= now:
            return "ended"
        return "active" if self.starts_at <= now else "upcoming"
