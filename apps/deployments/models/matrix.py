"""The "what is where" snapshot: per environment and component (and per environment and service), the latest
completed and the latest finished deployment with what the page shows of them, kept by `matrix_record_final` and
`matrix_record_shown` so the matrix never ranks history nor reads a deployment."""

from django.db import models


class MatrixEntry(models.Model):
    """One cell part of the matrix. With a component: the latest completed deployment touching it in the environment
    (`current`, with `current_version` empty after a removal) and the latest finished one (`last`). Without a
    component: the latest finished deployment of the service in the environment (the by-service "Last").

    Beside the links, copies of what the page shows of the two deployments (`current_at` and `last_at` are their
    `actual_end`): the page reads them here rather than one deployment by its id for each version it shows."""

    environment = models.ForeignKey("environments.Environment", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey(
        "catalog.ServiceComponent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    current = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_at = models.DateTimeField(null=True, blank=True)
    current_reference = models.CharField(max_length=20, null=True, blank=True)
    current_released_at = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "catalog.ComponentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_at = models.DateTimeField(null=True, blank=True)
    last_reference = models.CharField(max_length=20, null=True, blank=True)
    last_status = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        db_table = "reports_matrixentry"  # created by the reports app before the snapshot moved here
        verbose_name_plural = "matrix entries"
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component"],
                condition=models.Q(component__isnull=False),
                name="matrix_one_entry_per_component",
            ),
            models.UniqueConstraint(
                fields=["environment", "service"],
                condition=models.Q(component__isnull=True),
                name="matrix_one_entry_per_service",
            ),
        ]
        indexes = [models.Index(fields=["service", "environment"], name="matrix_service_env")]

    def __str__(self) -> str:
        return f"{self.environment_id}/{self.service_id}/{self.component_id}"
