"""The benchmark floor's own table: the bare DRF create inserts one row here (bench, dev and test settings only)."""

from django.db import models
from django.utils import timezone


class FloorRow(models.Model):
    """One row per bare create: a name, a number and when it was made; nothing hangs off it."""

    name = models.CharField(max_length=100)
    number = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
