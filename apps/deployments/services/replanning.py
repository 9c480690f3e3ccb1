"""Editing a deployment: an approval holds only for the plan it approved, so changing the window, the environment or
the component versions of an approved deployment replans it (back to pending approval)."""

from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.chain import atomic_audited
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.deployments.permissions import is_manager, may_edit, may_edit_back_out_plan
from apps.deployments.risk.services import deployment_risk_apply
from apps.deployments.services.calendar_days import counts_after, counts_before
from apps.deployments.services.events import Context, event_record_edit
from apps.deployments.services.kpi_rollup import rollup_after, rollup_before
from apps.deployments.services.planning import (
    EDITABLE_FIELDS,
    change_ref_valid,
    plan_validate,
    practitioner_permissions_sync,
    stage_of,
)
from apps.deployments.services.plans import back_out_plan_prefill, steps_from_stage
from apps.deployments.services.practitioner_counts import (
    practitioner_counts_after,
    practitioner_counts_enter,
    practitioner_counts_leave,
    practitioner_key,
)
from apps.deployments.services.transitions import deployment_transition

PLAN_FIELDS = ("planned_start", "planned_end", "environment", "component_versions")
MANAGER_ONLY_FIELDS = ("manager", "practitioners")


@atomic_audited
def deployment_update(*, ctx: Context, deployment: Deployment, data: dict, expected_version: int | None) -> Deployment:
    """Edit a deployment. A stale `expected_version` is refused (409) and the first save kept; changing the plan
    of an approved deployment sends it back for approval and supersedes the approvals it had."""
    actor = ctx.actor
    locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if set(data) == {"back_out_plan"} and may_edit_back_out_plan(actor, locked):
        pass  # the back-out plan alone: by the people who would carry it out, until the deployment is final
    elif not may_edit(actor, locked):
        if locked.status not in workflow.PLANNING:
            raise ConflictError(
                f"{locked.reference} is {locked.get_status_display().lower()} and can no longer be edited.",
                code="not_editable",
            )
        raise PermissionDenied("You may not edit this deployment.")
    # who may edit is answered first: a stale `version` from someone who may not edit is still a 403
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.reference} was changed by someone else since you opened it (version {expected_version}, "
            f"now {locked.version}). Reload it and make your change again.",
            code="stale_version",
        )
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if not is_manager(actor) and set(data) & set(MANAGER_ONLY_FIELDS):
        raise PermissionDenied("Only a deployment manager assigns the manager and the practitioners.")
    before_versions = set(locked.component_versions.values_list("pk", flat=True))
    before_practitioners = set(locked.practitioners.values_list("pk", flat=True))
    before = {f: getattr(locked, f) for f in PLAN_FIELDS[:2]}  # the window
    before_env = locked.environment_id
    counted = rollup_before(locked)  # a planned (not draft) deployment's day, service or model counts in the KPIs
    on_days = counts_before(locked)  # its window, environment and model: the day counts, the backlog
    experience = practitioner_key(locked)  # a finished one's environment and practitioners: their experience
    changed = []
    if "change_ref" in data and (data["change_ref"] or "") != locked.change_ref:
        # checked when it changes: a form sending back a reference recorded before the format was set still saves
        data = {**data, "change_ref": change_ref_valid(data["change_ref"])}
    for field, value in data.items():
        if field in ("component_versions", "practitioners"):
            continue
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    versions = (
        list(data["component_versions"]) if "component_versions" in data else list(locked.component_versions.all())
    )
    locked.full_clean(exclude=["reference"])
    if locked.status in workflow.PLANNING:  # a back-out plan edited later leaves the plan as it was approved
        plan_validate(locked, versions, locked.model)
        locked.stage = stage_of(locked)
        if "model" in changed and "back_out_plan" not in changed and not locked.back_out_plan.strip():
            back_out_plan_prefill(locked)
            changed.append("back_out_plan")
    versions_changed = "component_versions" in data and {v.pk for v in versions} != before_versions
    practitioners = data.get("practitioners")
    practitioners_changed = practitioners is not None and {u.pk for u in practitioners} != before_practitioners
    plan_changed = (
        versions_changed
        or locked.environment_id != before_env
        or any(getattr(locked, f) != before[f] for f in ("planned_start", "planned_end"))
    )
    if not changed and not versions_changed and not practitioners_changed:
        return locked
    replan = plan_changed and locked.status == workflow.Status.APPROVED
    if plan_changed:
        locked.approvals.filter(superseded=False).update(superseded=True)
    if not replan:  # a replan counts the edit and the transition as one new version, and scores the plan
        locked.version += 1
        deployment_risk_apply(deployment=locked, versions=versions, practitioners=practitioners)
    locked.save()
    rollup_after(locked, counted)
    counts_after(locked, on_days)
    if practitioners_changed:  # out where it counted with the practitioners it had, in where it counts with the new
        practitioner_counts_leave(locked, experience)
    else:
        practitioner_counts_after(locked, experience)
    if versions_changed:
        locked.component_versions.set(versions)
        if locked.status in (workflow.Status.APPROVED, workflow.Status.PENDING_APPROVAL):
            locked.checks.filter(result="pending").delete()
    if locked.status in workflow.PLANNING:
        steps_from_stage(locked)  # a deployment given its first stage by this edit gets the stage's step plan
    if practitioners_changed:
        locked.practitioners.set(practitioners)
        practitioner_permissions_sync(locked, before_practitioners, practitioners)
        practitioner_counts_enter(locked)
    fields = (
        changed
        + (["component_versions"] if versions_changed else [])
        + (["practitioners"] if practitioners_changed else [])
    )
    event_record_edit(deployment=locked, ctx=ctx, fields=fields, notify=practitioners_changed)
    if replan:
        # the approval held for the plan it approved: the table's system transition sends it back
        locked = deployment_transition(
            ctx=ctx,
            deployment=locked,
            transition="replan",
            comment="Plan changed after approval: sent back for approval.",
            system=True,
        )
    return locked
