"""The partners' and consumers' alignment rating (the guide's metric "partners' and consumers' alignment with the
deployment approaches"): after a completed deployment, each supplier and consumer contact is asked once."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class AlignmentRole(models.TextChoices):
    SUPPLIER = "supplier", "Supplier's contact"
    CONSUMER = "consumer", "Consumer"


class AlignmentRating(models.Model):
    """One contact's request for a rating and, once they answer through their signed link, the 1–5 rating of how
    well the deployment's approach suited them, with an optional comment. One answer per request."""

    deployment = models.ForeignKey("deployments.Deployment", on_delete=models.CASCADE, related_name="alignment")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=AlignmentRole.choices)
    requested_at = models.DateTimeField(auto_now_add=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        app_label = "deployments"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "email"], name="one_alignment_request_per_contact"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="alignment_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.rating or 'not answered'}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
