"""Who does what under a model: its RACI rows (activity × role × letter)."""

from django.db import models

from apps.deployment_models.models.deployment_model import DeploymentModel
from apps.roles.definitions import RACI_ROLES, competency_of


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class ResponsibilityManager(models.Manager):
    def get_by_natural_key(self, name, version, activity, role):
        return self.get(model__name=name, model__version=version, activity=activity, role=role)


RACI_ROLE_CHOICES = [(role, role) for role in RACI_ROLES]


class Responsibility(models.Model):
    """Who does what under a model: activity × role × RACI letter; the role comes from the role list
    (apps.roles.definitions.RACI_ROLES), never free text."""

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="responsibilities")
    activity = models.CharField(max_length=150)
    role = models.CharField(max_length=100, choices=RACI_ROLE_CHOICES, help_text="A role (or party) of the role list.")
    raci = models.CharField(max_length=1, choices=Raci.choices)
    objects = ResponsibilityManager()

    class Meta:
        ordering = ["model", "activity", "role"]
        verbose_name_plural = "responsibilities"
        constraints = [models.UniqueConstraint(fields=["model", "activity", "role"], name="unique_responsibility")]

    def __str__(self) -> str:
        return f"{self.activity} — {self.role}: {self.raci}"

    def natural_key(self) -> tuple[str, int, str, str]:
        return (*self.model.natural_key(), self.activity, self.role)

    @property
    def competency_profile(self) -> str:
        """The competency profile (letters) of the row's role."""
        return competency_of(self.role)

    natural_key.dependencies = ["deployment_models.deploymentmodel"]
