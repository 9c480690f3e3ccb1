"""Template helpers of the deployment pages: status colours and sortable column links."""

from django import template

from apps.deployments.workflow import Status

register = template.Library()

STATUS_STYLE = {
    Status.DRAFT: "secondary",
    Status.PENDING_APPROVAL: "warning",
    Status.APPROVED: "info",
    Status.REJECTED: "danger",
    Status.VERIFYING_COMPONENTS: "primary",
    Status.VERIFYING_ENVIRONMENT: "primary",
    Status.EXECUTING: "primary",
    Status.VERIFYING: "primary",
    Status.COMPLETED: "success",
    Status.FAILED: "danger",
    Status.ROLLED_BACK: "dark",
    Status.CANCELLED: "light",
}

RESULT_STYLE = {"pending": "secondary", "pass": "success", "fail": "danger", "n_a": "light"}


@register.filter
def status_style(status: str) -> str:
    """The Bootstrap colour of a status badge."""
    return STATUS_STYLE.get(status, "secondary")


@register.filter
def result_style(result: str) -> str:
    return RESULT_STYLE.get(result, "secondary")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def status_label(status: str) -> str:
    """The human name of a status value ("pending_approval" → "Pending approval")."""
    try:
        return Status(status).label
    except ValueError:
        return status
