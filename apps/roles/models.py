"""The role profiles: what each role (a Django group) is for and the competency profile it calls for; and the
competency profiles of the activities of the practice's two processes."""

from django.contrib.auth.models import Group
from django.db import models

from apps.roles.competencies import PROCESS_CHOICES, profile_names, profile_validate


class CompetencyProfile(models.TextChoices):
    """The five competencies of the ITIL 4 practice guides, each a letter of a multi-letter profile."""

    LEADER = "L", "Leader"
    ADMINISTRATOR = "A", "Administrator"
    COORDINATOR = "C", "Coordinator / communicator"
    METHODS_EXPERT = "M", "Methods and techniques expert"
    TECHNICAL_EXPERT = "T", "Technical expert"


class RoleProfile(models.Model):
    """What a role (a Django group) is for, and its competency profile (e.g. "LCA": leader, coordinator,
    administrator), most significant letter first."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="profile")
    competency_profile = models.CharField(
        max_length=5, validators=[profile_validate], help_text="Letters out of L, A, C, M, T, most significant first."
    )
    description = models.TextField()
    competencies = models.TextField(help_text="The skills the practice expects of people in this role.")

    class Meta:
        db_table = "accounts_roleprofile"  # made by accounts before roles had an app of their own
        ordering = ["group__name"]

    def __str__(self) -> str:
        return f"{self.group.name} ({self.competency_profile})"

    @property
    def competency_names(self) -> list[str]:
        return profile_names(self.competency_profile)

    def get_competency_profile_display(self) -> str:
        return ", ".join(self.competency_names)


class ActivityProfile(models.Model):
    """The competency profile one activity of the practice's processes calls for (kept in step with
    apps/roles/competencies.py by roles_sync)."""

    process = models.CharField(max_length=20, choices=PROCESS_CHOICES)
    order = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=150)
    competency_profile = models.CharField(max_length=5, validators=[profile_validate])
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["process", "order"]
        constraints = [models.UniqueConstraint(fields=["process", "activity"], name="unique_activity_profile")]

    def __str__(self) -> str:
        return f"{self.activity} ({self.competency_profile})"

    @property
    def competency_names(self) -> list[str]:
        return profile_names(self.competency_profile)
