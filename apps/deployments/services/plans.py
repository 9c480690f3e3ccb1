"""The plan beside the state machine: the release of a completed deployment, its step plan and its back-out plan."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone

from apps.audit.chain import atomic_audited
from apps.core import outbound
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import MAX_STEP_MINUTES, Deployment, DeploymentStep, EventKind, StepStatus
from apps.deployments.permissions import may_execute, may_release
from apps.deployments.services.events import Context, event_record
from apps.deployments.services.kpi_rollup import rollup_after, rollup_before
from apps.deployments.services.matrix_snapshot import matrix_record_shown

RELEASED = "deployment.released"  # the outbound (webhook) event of a release
STEP_EDITABLE = workflow.PLANNING  # the plan's steps change until the deployment starts
STEP_RECORDABLE = workflow.IN_PROGRESS  # and are ticked off while it runs
MAX_STEPS = 100


def _lock(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_for_update(of=("self",)).select_related("environment").get(pk=deployment.pk)


def _bump(deployment: Deployment) -> None:
    deployment.version += 1
    deployment.save(update_fields=["version", "updated_at"])


# --- release -------------------------------------------------------------------------------------------------


@atomic_audited
def deployment_release(*, ctx: Context, deployment: Deployment, release_ref: str = "", comment: str = "") -> Deployment:
    """Record that a completed deployment was made available to its users (a feature flag turned on, a dark launch
    opened): when, under which release reference and by whom — beside the status, which stays `completed`.

    403 for those who may not (managers and the assigned practitioners may), 409 unless completed or when already
    released, 400 without a release reference (given now, or recorded when it was planned)."""
    locked = _lock(deployment)
    if not may_release(ctx.actor, locked):
        raise PermissionDenied("Only a deployment manager or an assigned practitioner releases a deployment.")
    if locked.status != workflow.Status.COMPLETED:
        raise ConflictError(
            f"{locked.reference} is {locked.get_status_display().lower()}: only a completed deployment is released.",
            code="not_completed",
        )
    if locked.released_at is not None:
        raise ConflictError(
            f"{locked.reference} was already released on {locked.released_at:%Y-%m-%d %H:%M} UTC "
            f"({locked.release_ref}).",
            code="already_released",
        )
    ref = (release_ref or "").strip() or locked.release_ref
    if not ref:
        raise ValidationError({"release_ref": "Give the reference of the release (e.g. REL-2026-04)."})
    if len(ref) > 100:
        raise ValidationError({"release_ref": "A release reference has at most 100 characters."})
    counted = rollup_before(locked)  # the release lag is a KPI, kept in the rollups
    locked.released_at = timezone.now()
    locked.released_by = ctx.actor
    locked.release_ref = ref
    locked.version += 1
    locked.save(update_fields=["released_at", "released_by", "release_ref", "version", "updated_at"])
    rollup_after(locked, counted)
    matrix_record_shown(deployment=locked)  # "what is where" shows the version as released from now on
    event = event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.RELEASE,
        from_status=locked.status,
        to_status=locked.status,
        comment=(comment or "").strip() or f"Released to users ({ref}).",
        data={"release_ref": ref},
        notify=True,
    )
    outbound.publish_on_commit(RELEASED, object_id=event.pk)
    return locked


# --- the step plan ---------------------------------------------------------------------------------------------


def step_template_rows(deployment: Deployment) -> list[DeploymentStep]:
    """The steps of the deployment's stage template, not yet saved (none without a stage or a template)."""
    stage = deployment.stage
    if stage is None or not stage.step_template:
        return []
    return [
        DeploymentStep(deployment=deployment, order=i, title=title, expected_minutes=minutes)
        for i, (title, minutes) in enumerate(stage.template_steps, start=1)
    ]


def steps_from_stage(deployment: Deployment) -> int:
    """Copy the stage's step template onto a deployment that has no steps yet (a first stage chosen by an edit).
    Returns how many steps were made."""
    rows = step_template_rows(deployment)
    if not rows or deployment.steps.exists():
        return 0
    DeploymentStep.objects.bulk_create(rows)
    return len(rows)


def _require_step_planner(ctx: Context, deployment: Deployment, what: str) -> None:
    if not may_execute(ctx.actor, deployment):
        raise PermissionDenied("Only a deployment manager or an assigned practitioner changes the step plan.")
    if deployment.status not in STEP_EDITABLE:
        raise ConflictError(
            f"{deployment.reference} is {deployment.get_status_display().lower()}: the step plan can be {what} "
            "only before the deployment starts.",
            code="steps_locked",
        )


def _clean_fields(*, title=None, expected_minutes=None, owner=None) -> dict:
    fields = {}
    if title is not None:
        title = str(title).strip()
        if not title:
            raise ValidationError({"title": "Give the step a title."})
        if len(title) > 200:
            raise ValidationError({"title": "A step title has at most 200 characters."})
        fields["title"] = title
    if expected_minutes is not None:
        if isinstance(expected_minutes, bool) or not isinstance(expected_minutes, int):
            raise ValidationError({"expected_minutes": "Give the expected minutes as a whole number."})
        if not 1 <= expected_minutes <= MAX_STEP_MINUTES:
            raise ValidationError({"expected_minutes": f"Expected minutes are 1 to {MAX_STEP_MINUTES}."})
        fields["expected_minutes"] = expected_minutes
    if owner is not None:
        if not owner.is_active:
            raise ValidationError({"owner": f"{owner} is not an active user."})
        fields["owner"] = owner
    return fields


@atomic_audited
def step_add(
    *, ctx: Context, deployment: Deployment, title: str, owner=None, expected_minutes: int | None = None
) -> DeploymentStep:
    """Add a step at the end of the plan (before the deployment starts)."""
    locked = _lock(deployment)
    _require_step_planner(ctx, locked, "changed")
    fields = _clean_fields(title=title, expected_minutes=expected_minutes, owner=owner)
    if fields.get("title") is None:
        raise ValidationError({"title": "Give the step a title."})
    if locked.steps.count() >= MAX_STEPS:
        raise ValidationError({"title": f"A step plan has at most {MAX_STEPS} steps."})
    last = locked.steps.aggregate(last=Max("order"))["last"] or 0
    step = DeploymentStep.objects.create(deployment=locked, order=last + 1, **fields)
    _bump(locked)
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.STEP,
        comment=f"Step {step.order} “{step.title}” added to the plan.",
        data={"step_id": step.pk, "change": "added"},
    )
    return step


@atomic_audited
def step_update(
    *, ctx: Context, step: DeploymentStep, title=None, owner=None, expected_minutes=None, clear_owner=False
) -> DeploymentStep:
    """Change a step's title, owner or expected minutes (before the deployment starts)."""
    locked = _lock(step.deployment)
    _require_step_planner(ctx, locked, "changed")
    step = locked.steps.get(pk=step.pk)
    fields = _clean_fields(title=title, expected_minutes=expected_minutes, owner=owner)
    if clear_owner:
        fields["owner"] = None
    changed = sorted(name for name, value in fields.items() if getattr(step, name) != value)
    if not changed:
        return step
    for name in changed:
        setattr(step, name, fields[name])
    step.save(update_fields=changed)
    _bump(locked)
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.STEP,
        comment=f"Step {step.order} “{step.title}” changed ({', '.join(changed)}).",
        data={"step_id": step.pk, "change": "edited", "fields": changed},
    )
    return step


@atomic_audited
def step_remove(*, ctx: Context, step: DeploymentStep) -> None:
    """Take a step out of the plan (before the deployment starts); the others keep their order."""
    locked = _lock(step.deployment)
    _require_step_planner(ctx, locked, "changed")
    step = locked.steps.get(pk=step.pk)
    title, order, pk = step.title, step.order, step.pk
    step.delete()
    _bump(locked)
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.STEP,
        comment=f"Step {order} “{title}” removed from the plan.",
        data={"step_id": pk, "change": "removed"},
    )


@atomic_audited
def steps_reorder(*, ctx: Context, deployment: Deployment, step_ids: list[int]) -> list[DeploymentStep]:
    """Put the steps in the order given: every step of the plan, each once (before the deployment starts)."""
    locked = _lock(deployment)
    _require_step_planner(ctx, locked, "reordered")
    steps = {s.pk: s for s in locked.steps.all()}
    if len(step_ids) != len(set(step_ids)) or set(step_ids) != set(steps):
        raise ValidationError({"steps": "Give every step of the plan, each once, in the new order."})
    for order, pk in enumerate(step_ids, start=1):
        steps[pk].order = order
    DeploymentStep.objects.bulk_update(steps.values(), ["order"])
    _bump(locked)
    event_record(
        deployment=locked, ctx=ctx, kind=EventKind.STEP, comment="Step plan reordered.", data={"change": "reordered"}
    )
    return [steps[pk] for pk in step_ids]


@atomic_audited
def step_record(*, ctx: Context, step: DeploymentStep, status: str, note: str = "") -> DeploymentStep:
    """Tick a step off while the deployment runs: `done`, `skipped` (with the reason in `note`), or back to
    `pending`. By the assigned practitioners and deployment managers."""
    locked = _lock(step.deployment)
    if not may_execute(ctx.actor, locked):
        raise PermissionDenied("Only the assigned practitioners or a deployment manager tick steps off.")
    if status not in StepStatus.values:
        raise ValidationError({"status": "Give a status: pending, done or skipped."})
    if locked.status not in STEP_RECORDABLE:
        raise ConflictError(
            f"Steps are ticked off while the deployment runs; {locked.reference} is "
            f"{locked.get_status_display().lower()}.",
            code="invalid_state",
        )
    step = locked.steps.get(pk=step.pk)
    note = (note or "").strip()
    if status == StepStatus.SKIPPED and not note:
        raise ValidationError({"note": "Say why the step is skipped."})
    step.status = status
    step.note = note
    done = status != StepStatus.PENDING
    step.done_at = timezone.now() if done else None
    step.done_by = ctx.actor if done else None
    step.save(update_fields=["status", "note", "done_at", "done_by"])
    _bump(locked)
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.STEP,
        comment=f"Step {step.order} “{step.title}”: {step.get_status_display().lower()}."
        + (f" {note}" if note else ""),
        data={"step_id": step.pk, "change": "recorded", "status": status},
    )
    return step


# --- the back-out plan -------------------------------------------------------------------------------------------


def back_out_plan_prefill(deployment: Deployment) -> None:
    """A deployment planned under a model starts with the model's rollback procedure as its back-out plan (unless
    one was written); edited per deployment afterwards."""
    if not (deployment.back_out_plan or "").strip() and deployment.model is not None:
        deployment.back_out_plan = deployment.model.rollback_procedure
