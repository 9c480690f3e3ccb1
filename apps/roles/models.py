"""The role profiles: what each role (a Django group) is for, and the competency profile it calls for."""

from django.contrib.auth.models import Group
from django.db import models


class CompetencyProfile(models.TextChoices):
    """The competency profiles of the ITIL 4 practice guides."""

    LEADER = "leader", "Leader"
    ADMINISTRATOR = "administrator", "Administrator"
    COORDINATOR = "coordinator", "Coordinator / communicator"
    METHODS_EXPERT = "methods_expert", "Methods and tools expert"
    TECHNICAL_EXPERT = "technical_expert", "Technical expert"


class RoleProfile(models.Model):
    """What a role (a Django group) is for, and the competency profile it calls for."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="profile")
    competency_profile = models.CharField(max_length=32, choices=CompetencyProfile.choices)
    description = models.TextField()
    competencies = models.TextField(help_text="The skills the practice expects of people in this role.")

    class Meta:
        db_table = "accounts_roleprofile"  # made by accounts before roles had an app of their own
        ordering = ["group__name"]

    def __str__(self) -> str:
        return f"{self.group.name} ({self.get_competency_profile_display()})"
