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


# A status value's human name, as pages draw it (a dict lookup a row; the labels made plain text once per process)
STATUS_LABEL = {str(value): str(label) for value, label in Status.choices}


# The status groups, each defined here once; every app imports them instead of listing statuses again.
IN_PROGRESS = (Status.VERIFYING_COMPONENTS, Status.VERIFYING_ENVIRONMENT, Status.EXECUTING, Status.VERIFYING)
PLANNING = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED)  # the plan may still change: edits, conflicts
FINAL = (Status.COMPLETED, Status.ROLLED_BACK, Status.CANCELLED)  # nothing follows (failed is final unless rolled back)
UNSUCCESSFUL = (Status.FAILED, Status.ROLLED_BACK)  # ran and did not succeed
FINISHED = (Status.COMPLETED, *UNSUCCESSFUL)  # ran to an outcome (a cancelled deployment never ran)
OPEN = (*PLANNING, *IN_PROGRESS)
PLANNED = (Status.PENDING_APPROVAL, Status.APPROVED, *IN_PROGRESS)  # shown as occupying their window
BOOKED = (Status.APPROVED, *IN_PROGRESS)  # hold their window: approving another overlapping one is refused
ON_ITS_WAY = BOOKED  # approved or under way: what is coming to an environment ("what is where")
NOT_PLANNED = (Status.DRAFT, Status.CANCELLED)  # never planned into a period (the planned KPIs leave them out)
NOT_SCHEDULED = (Status.DRAFT, Status.REJECTED, Status.CANCELLED)  # no window to show on the dashboard
HIDDEN_BY_DEFAULT = (Status.CANCELLED, Status.REJECTED)  # the calendar shows them only when asked
# approved or finished: their component versions' checksums and repository references are frozen (the catalog
# holds the same tuple as catalog.selectors.VERSION_FREEZING_STATUSES; a test keeps them equal)
VERSION_FREEZING = (*BOOKED, Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK)

# Who may take a transition: the requester, a deployment manager, an assigned (and cleared) practitioner,
# a service owner signing off, a deputy standing in for a deployment manager under a delegation in force
# (apps.people), or the system itself (never a person: a service takes it as a consequence).
# The service checks the actor against these.
REQUESTER, MANAGER, PRACTITIONER, SIGNOFF, SYSTEM = "requester", "manager", "practitioner", "signoff", "system"
DEPUTY = "deputy"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: str
    style: str = "primary"
    # Segregation of duties: the capacities in which the deployment's own requester may NOT take this transition.
    not_for_requester_as: tuple[str, ...] = ()

    @property
    def needs_comment(self) -> bool:
        return self.name in {"reject", "fail", "roll-back", "cancel"}

    @property
    def by_people(self) -> bool:
        """Offered to people (pages, API, admin); a system transition is taken only by the services."""
        return self.actors != (SYSTEM,)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", (Status.DRAFT,), Status.PENDING_APPROVAL, (REQUESTER, MANAGER), "Submit for approval"),
        Transition(
            "approve",
            (Status.PENDING_APPROVAL,),
            Status.APPROVED,
            (MANAGER, DEPUTY, SIGNOFF),
            "Approve",
            "success",
            not_for_requester_as=(MANAGER, DEPUTY, SIGNOFF),  # the requester of a deployment cannot approve it
        ),
        Transition(
            "reject",
            (Status.PENDING_APPROVAL,),
            Status.REJECTED,
            (MANAGER, DEPUTY, SIGNOFF),
            "Reject",
            "danger",
            not_for_requester_as=(MANAGER, DEPUTY),  # nor reject it as a manager (an owner signing off still may)
        ),
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
            PLANNING,
            Status.CANCELLED,
            (REQUESTER, MANAGER),
            "Cancel",
            "outline-danger",
        ),
        # changing the window, environment or component versions of an approved deployment: the approval held
        # for the plan it approved, so the deployment goes back for approval (taken by deployment_update)
        Transition("replan", (Status.APPROVED,), Status.PENDING_APPROVAL, (SYSTEM,), "Send back for approval"),
    ]
}


def transitions_from(status: str) -> list[Transition]:
    """Transitions whose source states include `status`, in the table's order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]


def people_transitions() -> list[Transition]:
    """The transitions people take (the API's actions, the admin's actions, the page's buttons)."""
    return [t for t in TRANSITIONS.values() if t.by_people]


def is_allowed(status: str, transition: str) -> bool:
    t = TRANSITIONS.get(transition)
    return t is not None and status in t.sources
