"""The check gates of the process: which required checks each transition needs, and the checks a stage's criteria
and a deployment's acceptance criteria become."""

from apps.deployments.models import Check, CheckKind, CheckResult, Deployment

# a check counts as passed at a gate with one of these results
PASSED = (CheckResult.PASS, CheckResult.NOT_APPLICABLE)

# the kinds of required checks each gate needs, in the order the readiness panel shows them
GATES = {
    "start": (CheckKind.ENTRY,),
    "confirm-components": (CheckKind.COMPONENT,),
    "confirm-environment": (CheckKind.ENVIRONMENT,),
    "complete": (CheckKind.ACCEPTANCE, CheckKind.EXIT),
}
KIND_WORDS = {
    CheckKind.ENTRY: "entry-criteria",
    CheckKind.COMPONENT: "component",
    CheckKind.ENVIRONMENT: "environment",
    CheckKind.ACCEPTANCE: "acceptance",
    CheckKind.EXIT: "exit-criteria",
}


def gate_checks(deployment: Deployment, transition: str, kind: str | None = None):
    """The required checks a gate needs (of one of its kinds when `kind` is given; none for a transition without
    a check gate)."""
    kinds = GATES.get(transition, ())
    if kind is not None:
        kinds = tuple(k for k in kinds if k == kind)
    if not kinds:
        return Check.objects.none()
    return deployment.checks.filter(kind__in=kinds, required=True).order_by("id")


def unpassed_checks(deployment: Deployment, transition: str) -> list[Check]:
    """Required checks of the kinds a gate needs that have not passed (pass or n/a)."""
    return list(gate_checks(deployment, transition).exclude(result__in=PASSED))


def criteria_lines(text: str) -> list[str]:
    """Criteria written one per line: each non-blank line becomes one check."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def stage_criteria(deployment: Deployment, kind: str) -> list[str]:
    """The lines of the deployment's stage that become checks of `kind` (entry, exit or acceptance)."""
    stage = deployment.stage
    if stage is None:
        return []
    field = {
        CheckKind.ENTRY: "entry_criteria",
        CheckKind.EXIT: "exit_criteria",
        CheckKind.ACCEPTANCE: "acceptance_criteria",
    }[kind]
    return criteria_lines(getattr(stage, field))


def acceptance_criteria(deployment: Deployment) -> list[str]:
    """The acceptance checks approval makes: the stage's criteria, then the deployment's own."""
    return stage_criteria(deployment, CheckKind.ACCEPTANCE) + criteria_lines(deployment.acceptance_criteria)


def _has_acceptance_check(deployment: Deployment) -> bool:
    """A required acceptance check made already: as selectors.page.deployment_get read it with the deployment for its
    page (`has_acceptance_check`), or else asked now."""
    known = getattr(deployment, "has_acceptance_check", None)
    if known is not None:
        return known
    return deployment.checks.filter(kind=CheckKind.ACCEPTANCE, required=True).exists()


def acceptance_gap(deployment: Deployment) -> str:
    """Why the deployment cannot be approved for want of an acceptance check ("" when it can): on a controlled
    environment at least one is needed, from the stage's criteria, the deployment's, or a check already made."""
    environment = deployment.environment
    if not environment.controlled or acceptance_criteria(deployment):
        return ""
    if deployment.pk and _has_acceptance_check(deployment):
        return ""
    source = f"neither by stage {deployment.stage.order} of {deployment.model} nor" if deployment.stage else "not"
    return (
        f"{environment} is a controlled environment: approval needs at least one acceptance check, and none is named "
        f"({source} by the deployment). Write the acceptance criteria, one check per line."
    )
