"""The rules of the deployment process that look at the rest of the world: conflicts, promotion, check gates."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from packaging.version import InvalidVersion, Version

from apps.catalog.models import ServiceComponent
from apps.deployment_models.models import ModelStatus
from apps.deployment_models.selectors import previous_stage
from apps.deployments import workflow
from apps.deployments.models import Action, ApprovalRole, Check, CheckKind, CheckResult, Decision, Deployment
from apps.deployments.risk.policy import risk_extra_approvals
from apps.environments.selectors import freeze_conflicts, maintenance_window_covers


@dataclass(frozen=True)
class Conflict:
    """Something that clashes with a deployment's plan; `code` says which rule (DESIGN.md §2 "Conflicts")."""

    code: str  # environment_busy, component_busy, freeze, outside_maintenance, practitioner_busy, downgrade
    message: str
    other: str = ""  # the reference of the other deployment, if any

    def __str__(self) -> str:
        return self.message


def _overlapping(start: datetime, end: datetime, exclude_pk: int | None, booked_only: bool = False):
    qs = Deployment.objects.filter(
        status__in=workflow.BOOKED if booked_only else workflow.PLANNED,
        planned_start__lt=end,
        planned_end__gt=start,
        planned_start__isnull=False,
    )
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs


def version_key(text: str):
    """Orders version strings: PEP 440 where they parse, otherwise by their dotted numeric parts."""
    try:
        return (0, Version(text), ())
    except InvalidVersion:
        parts = tuple(int(p) if p.isdigit() else 0 for p in text.replace("-", ".").split("."))
        return (1, Version("0"), parts)


def plan_conflicts(
    *,
    environment,
    start: datetime | None,
    end: datetime | None,
    versions=(),
    practitioners=(),
    is_rollback: bool = False,
    action: str = Action.DEPLOY,
    exclude_pk: int | None = None,
    booked_only: bool = False,
) -> list[Conflict]:
    """Every conflict of a plan: (a) environment busy, (b) component busy, (c) freeze or outside maintenance,
    (d) practitioner booked twice, (e) downgrade without a stated rollback."""
    if environment is None or start is None or end is None or end <= start:
        return []
    conflicts: list[Conflict] = []
    overlapping = _overlapping(start, end, exclude_pk, booked_only)
    if not environment.allows_parallel_deployments:
        for ref, title in overlapping.filter(environment=environment).values_list("reference", "title")[:20]:
            conflicts.append(
                Conflict(
                    "environment_busy",
                    f"{ref} “{title}” overlaps in {environment}, which allows no parallel deployments.",
                    ref,
                )
            )
    versions = list(versions)
    components = {v.component_id: v for v in versions}
    if components:
        busy = (
            overlapping.filter(component_versions__component_id__in=components.keys())
            .values_list("reference", "environment__name", "component_versions__component__name")
            .distinct()[:20]
        )
        for ref, env_name, comp in busy:
            conflicts.append(
                Conflict("component_busy", f"{ref} deploys {comp} in {env_name} in an overlapping window.", ref)
            )
    for hit in freeze_conflicts(environment=environment, start=start, end=end):
        conflicts.append(
            Conflict(
                "freeze",
                f"Freeze “{hit.window.name}” ({hit.start:%Y-%m-%d %H:%M}–{hit.end:%Y-%m-%d %H:%M} UTC): "
                f"{hit.window.reason}",
            )
        )
    if not maintenance_window_covers(environment=environment, start=start, end=end):
        conflicts.append(
            Conflict("outside_maintenance", f"{environment} accepts deployments only inside its maintenance windows.")
        )
    practitioner_ids = [getattr(p, "pk", p) for p in practitioners]
    if practitioner_ids:
        booked = (
            overlapping.filter(practitioners__in=practitioner_ids)
            .values_list("reference", "practitioners__username")
            .distinct()[:20]
        )
        for ref, username in booked:
            if username is not None:
                conflicts.append(
                    Conflict("practitioner_busy", f"{username} is booked on {ref} in an overlapping window.", ref)
                )
    if action == Action.DEPLOY and not is_rollback and versions:
        currents = current_versions_in(environment=environment, component_ids=[v.component_id for v in versions])
        for version in versions:
            current = currents.get(version.component_id)
            if current is not None and version_key(version.version) < version_key(current):
                conflicts.append(
                    Conflict(
                        "downgrade",
                        f"{version.component.name} {version.version} is older than {current} already in {environment}; "
                        "deploy it only as a stated rollback.",
                    )
                )
    return conflicts


def current_versions_in(*, environment, component_ids) -> dict[int, str | None]:
    """For each component, the version last deployed (completed, not removed) in an environment, in one query;
    components never deployed there are absent. A deployment's versions belong to its service (planning refuses
    others), so the components' services narrow the search to an index range (dep_restore) instead of every
    deployment that ever named the component."""
    component_ids = set(component_ids)
    rows = (
        Deployment.objects.filter(
            environment=environment,
            status=workflow.Status.COMPLETED,
            service_id__in=ServiceComponent.objects.filter(pk__in=component_ids).values("service_id"),
            component_versions__component_id__in=component_ids,
        )
        .annotate(
            latest=Window(
                RowNumber(),
                partition_by=F("component_versions__component_id"),
                order_by=[F("actual_end").desc(nulls_last=True), F("id").desc()],  # as the matrix ranks
            )
        )
        .filter(latest=1)
        .values_list("action", "component_versions__version", "component_versions__component_id")
    )
    return {comp_id: None if action == Action.REMOVE else version for action, version, comp_id in rows}


def _versions(deployment: Deployment) -> list:
    """The deployment's component versions with their components: the ones its page prefetched, else one query."""
    prefetched = getattr(deployment, "_prefetched_objects_cache", {})
    if "component_versions" in prefetched:
        return list(prefetched["component_versions"])
    return list(deployment.component_versions.select_related("component"))


def deployment_conflicts(deployment: Deployment, *, booked_only: bool = False) -> list[Conflict]:
    """Conflicts of a deployment's plan; `booked_only` counts only approved or running deployments as holding
    their windows (what approval refuses), otherwise pending ones are shown too (what planning warns about)."""
    return plan_conflicts(
        booked_only=booked_only,
        environment=deployment.environment,
        start=deployment.planned_start,
        end=deployment.planned_end,
        versions=_versions(deployment),
        practitioners=list(deployment.practitioners.all()),
        is_rollback=deployment.is_rollback,
        action=deployment.action,
        exclude_pk=deployment.pk,
    )


def start_conflicts(deployment: Deployment, now: datetime) -> list[Conflict]:
    """Starting now: a freeze while it runs (from now, for its planned duration), or outside maintenance windows."""
    from datetime import timedelta

    # it runs from now for as long as it was planned to take
    duration = (
        deployment.planned_end - deployment.planned_start
        if deployment.planned_start and deployment.planned_end
        else timedelta(hours=1)
    )
    end = now + max(duration, timedelta(minutes=1))
    conflicts = [
        Conflict("freeze", f"Freeze “{hit.window.name}” is in force: {hit.window.reason}")
        for hit in freeze_conflicts(environment=deployment.environment, start=now, end=end)
    ]
    if not maintenance_window_covers(environment=deployment.environment, start=now, end=end):
        conflicts.append(
            Conflict("outside_maintenance", f"{deployment.environment} is outside its maintenance windows now.")
        )
    return conflicts


def promotion_gaps(deployment: Deployment) -> list[str]:
    """Versions that have not completed the previous stage of the model's flow (empty when the gate is open)."""
    return promotion_gate(deployment)[1]


def promotion_gate(deployment: Deployment) -> tuple:
    """(the previous stage the versions must have completed, or None when there is no such gate; the gaps)."""
    return versions_promotion_gate(
        action=deployment.action, stage=deployment.stage, model=deployment.model, versions=_versions(deployment)
    )


def versions_promotion_gate(*, action: str, stage, model, versions) -> tuple:
    """The promotion gate of component versions deployed into a model stage, planned or not (the build gate asks
    before there is a deployment): (the previous stage, or None when there is no gate; the gaps)."""
    if action != Action.DEPLOY or stage is None:
        return None, []
    previous = previous_stage(stage=stage)
    if previous is None:
        return None, []
    done = set(
        Deployment.component_versions.through.objects.filter(
            componentversion_id__in=[v.pk for v in versions],
            deployment__service_id__in={v.component.service_id for v in versions},  # see current_versions_in
            deployment__environment_id=previous.environment_id,
            deployment__status=workflow.Status.COMPLETED,
            deployment__action=Action.DEPLOY,
        ).values_list("componentversion_id", flat=True)
    )
    gaps = []
    for version in versions:
        if version.pk not in done:
            gaps.append(
                f"{version.component.name} {version.version} has no completed deployment in "
                f"{previous.environment} (the previous stage of {model})."
            )
    return previous, gaps


def submit_gaps(deployment: Deployment) -> dict[str, str]:
    """What a draft lacks before it can be submitted, by form field (empty when it can be)."""
    gaps = {}
    if not deployment.planned_start or not deployment.planned_end:
        gaps["planned_start"] = "Plan a window (start and end) before submitting."
    if not _versions(deployment):
        gaps["component_versions"] = "Name at least one component version."
    return gaps


def change_ref_problem(value: str) -> str | None:
    """Why `value` is not an authorised change reference (settings.DEPLOYDESK_CHANGE_REF_PATTERN, matched whole),
    or None when it is one or is empty (whether one is required is change_ref_gap's question)."""
    value = (value or "").strip()
    pattern = settings.DEPLOYDESK_CHANGE_REF_PATTERN
    if not value or not pattern or re.fullmatch(pattern, value):
        return None
    return f"“{value[:100]}” is not a change reference: it must match {pattern}."


def change_ref_required(deployment: Deployment) -> bool:
    """True when the deployment's stage asks for an authorised change reference before approval."""
    return deployment.stage is not None and deployment.stage.requires_change_ref


def change_ref_gap(deployment: Deployment) -> str | None:
    """What stops approval on the change-authorisation gate: no reference, or one in the wrong format, where the
    stage requires one (naming the stage); None when the gate is passed."""
    if not change_ref_required(deployment):
        return None
    stage = deployment.stage
    where = f"Stage {stage.order} ({deployment.environment}) of {stage.model} requires an authorised change"
    if not (deployment.change_ref or "").strip():
        return f"{where}: record its change reference ({settings.DEPLOYDESK_CHANGE_REF_PATTERN}) before approval."
    problem = change_ref_problem(deployment.change_ref)
    return f"{where}; {problem}" if problem else None


def pre_approved(deployment: Deployment) -> bool:
    """True when its stage is pre-approved under an active model: submit approves it at once (when nothing clashes
    and the promotion gate is open); a pilot model never pre-approves."""
    return stage_pre_approved(stage=deployment.stage, model=deployment.model)


def stage_pre_approved(*, stage, model) -> bool:
    """A deployment into `stage` of `model` is approved on submit (see pre_approved)."""
    return stage is not None and stage.pre_approved and model is not None and model.status == ModelStatus.ACTIVE


@dataclass(frozen=True)
class ApprovalProgress:
    """Where a deployment's approval stands (DESIGN.md §2 "Required approvals")."""

    given: int
    required: int
    owner_required: bool
    owner_signed: bool
    deciders: frozenset  # ids of the users whose decision (either way) still stands

    @property
    def complete(self) -> bool:
        return self.given >= self.required and (self.owner_signed or not self.owner_required)


def required_approvals(deployment: Deployment) -> int:
    """How many approvals the deployment's stage asks for (at least one), and one more where its risk score reaches
    the stage's threshold."""
    return required_approvals_of(deployment.stage) + risk_extra_approvals(deployment)


def required_approvals_of(stage) -> int:
    """How many approvals a deployment into `stage` needs (at least one; one without a stage)."""
    return max(stage.approvals_required, 1) if stage is not None else 1


def approval_progress(deployment: Deployment) -> ApprovalProgress:
    """The approvals that still stand, counted against the stage's requirement, in one query."""
    rows = list(
        deployment.approvals.filter(superseded=False).values_list("user_id", "role", "decision", "on_behalf_of_id")
    )
    approved = [role for _, role, decision, _ in rows if decision == Decision.APPROVED]
    return ApprovalProgress(
        given=len(approved),
        required=required_approvals(deployment),
        owner_required=deployment.stage is not None and deployment.stage.requires_service_owner_approval,
        owner_signed=ApprovalRole.SERVICE_OWNER in approved,
        # a deputy's decision is the manager's too: neither decides again on the same plan
        deciders=frozenset(user_id for user_id, *_ in rows) | frozenset(behalf for *_, behalf in rows if behalf),
    )


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


def acceptance_gap(deployment: Deployment) -> str:
    """Why the deployment cannot be approved for want of an acceptance check ("" when it can): on a controlled
    environment at least one is needed, from the stage's criteria, the deployment's, or a check already made."""
    environment = deployment.environment
    if not environment.controlled or acceptance_criteria(deployment):
        return ""
    if deployment.pk and deployment.checks.filter(kind=CheckKind.ACCEPTANCE, required=True).exists():
        return ""
    source = f"neither by stage {deployment.stage.order} of {deployment.model} nor" if deployment.stage else "not"
    return (
        f"{environment} is a controlled environment: approval needs at least one acceptance check, and none is named "
        f"({source} by the deployment). Write the acceptance criteria, one check per line."
    )
