"""The one definition of deployment statuses and the transitions between them (DESIGN.md §2)."""

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    VERIFYING_COMPONENTS = "verifying_components", "Verifying components"
    VERIFYING_ENVIRONMENT = "verifying_environment", "Verifying environment"
    EXECUTING = "executing", "Executing"
    VERIFYING = "verifying", "Verifying deployment"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"


IN_PROGRESS = (Status.VERIFYING_COMPONENTS, Status.VERIFYING_ENVIRONMENT, Status.EXECUTING, Status.VERIFYING)
FINAL = (Status.COMPLETED, Status.ROLLED_BACK, Status.CANCELLED)
OPEN = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, *IN_PROGRESS)
PLANNED = (Status.PENDING_APPROVAL, Status.APPROVED, *IN_PROGRESS)  # shown as occupying their window
BOOKED = (Status.APPROVED, *IN_PROGRESS)  # hold their window: approving another overlapping one is refused
# approved or finished: their component versions' checksums and repository references are frozen (the catalog
# holds the same tuple as catalog.selectors.VERSION_FREEZING_STATUSES; a test keeps them equal)
VERSION_FREEZING = (*BOOKED, Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK)

# Who may take a transition: the requester, a deployment manager, an assigned (and cleared) practitioner,
# or a service owner signing off. The service checks the actor against these.
REQUESTER, MANAGER, PRACTITIONER, SIGNOFF = "requester", "manager", "practitioner", "signoff"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: str
    style: str = "primary"

    @property
    def needs_comment(self) -> bool:
        return self.name in {"reject", "fail", "roll-back", "cancel"}


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", (Status.DRAFT,), Status.PENDING_APPROVAL, (REQUESTER, MANAGER), "Submit for approval"),
        Transition("approve", (Status.PENDING_APPROVAL,), Status.APPROVED, (MANAGER, SIGNOFF), "Approve", "success"),
        Transition("reject", (Status.PENDING_APPROVAL,), Status.REJECTED, (MANAGER, SIGNOFF), "Reject", "danger"),
        Transition("revise", (Status.REJECTED,), Status.DRAFT, (REQUESTER, MANAGER), "Revise", "secondary"),
        Transition(
            "start", (Status.APPROVED,), Status.VERIFYING_COMPONENTS, (PRACTITIONER, MANAGER), "Start deployment"
        ),
        Transition(
            "confirm-components",
            (Status.VERIFYING_COMPONENTS,),
            Status.VERIFYING_ENVIRONMENT,
            (PRACTITIONER, MANAGER),
            "Confirm components",
        ),
        Transition(
            "confirm-environment",
            (Status.VERIFYING_ENVIRONMENT,),
            Status.EXECUTING,
            (PRACTITIONER, MANAGER),
            "Confirm environment",
        ),
        Transition(
            "finish-execution", (Status.EXECUTING,), Status.VERIFYING, (PRACTITIONER, MANAGER), "Finish execution"
        ),
        Transition("complete", (Status.VERIFYING,), Status.COMPLETED, (PRACTITIONER, MANAGER), "Complete", "success"),
        Transition("fail", IN_PROGRESS, Status.FAILED, (PRACTITIONER, MANAGER), "Mark as failed", "danger"),
        Transition("roll-back", (Status.FAILED,), Status.ROLLED_BACK, (PRACTITIONER, MANAGER), "Roll back", "warning"),
        Transition(
            "cancel",
            (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED),
            Status.CANCELLED,
            (REQUESTER, MANAGER),
            "Cancel",
            "outline-danger",
        ),
    ]
}


def transitions_from(status: str) -> list[Transition]:
    """Transitions whose source states include `status`, in the table's order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]


def is_allowed(status: str, transition: str) -> bool:
    t = TRANSITIONS.get(transition)
    return t is not None and status in t.sources
