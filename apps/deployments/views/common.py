"""What the deployment pages share: the visible-or-404 lookup and the context of a deployment's page."""

from collections import OrderedDict

from django.http import Http404
from django.shortcuts import render

from apps.deployments import workflow
from apps.deployments.forms import (
    CheckRecordForm,
    CommentForm,
    FeedbackForm,
    HandoverForm,
    IncidentForm,
    PilotConfirmForm,
    ProblemForm,
    TransitionForm,
)
from apps.deployments.models import CheckKind, Deployment
from apps.deployments.permissions import (
    available_transitions,
    is_manager,
    may_comment,
    may_edit,
    may_execute,
    may_rate_now,
    may_record_check,
    may_record_checks,
)
from apps.deployments.plan_forms import BackOutPlanForm, ReleaseForm, StepAddForm, StepRecordForm, step_owners
from apps.deployments.readiness import deployment_readiness
from apps.deployments.rules import Conflict
from apps.deployments.selectors.page import deployment_get, deployment_page_rows
from apps.deployments.services import pilot_confirm_refusal
from apps.deployments.services.handover import handover_required, may_write_handover


def visible_deployment(request, pk: int) -> Deployment:
    """The deployment if the user may see it; 404 otherwise (what one may not see does not exist)."""
    try:
        return deployment_get(user=request.user, pk=pk)
    except Deployment.DoesNotExist as exc:
        raise Http404("No such deployment.") from exc


NEEDS_COMMENT = [t.label.lower() for t in workflow.TRANSITIONS.values() if t.needs_comment]


def transition_form(deployment: Deployment, *, manager: bool, data=None) -> TransitionForm:
    """The one form of the actions panel: a comment and (for managers) an override reason for whichever
    transition button is pressed."""
    form = TransitionForm(data, auto_id="transition-%s", initial={"version": deployment.version})
    form.fields["comment"].help_text = f"Required to {', '.join(NEEDS_COMMENT[:-1])} or {NEEDS_COMMENT[-1]}."
    form.fields["comment"].widget.attrs.update({"rows": 2, "placeholder": "A note for the timeline"})
    if not manager:
        del form.fields["override_reason"]
    return form


def readiness_groups(deployment: Deployment, user) -> list[dict]:
    """The readiness items grouped under the transition that checks them, in the order they come."""
    groups: OrderedDict[str, dict] = OrderedDict()
    for item in deployment_readiness(deployment=deployment, user=user):
        spec = workflow.TRANSITIONS[item.transition]
        group = groups.setdefault(item.transition, {"transition": spec, "items": [], "blocked": 0})
        group["items"].append(item)
        group["blocked"] += not item.ok
    return list(groups.values())


def detail_context(request, deployment: Deployment, **extra) -> dict:
    """Everything the deployment page shows. `extra` may carry bound forms with errors and an error alert."""
    user = request.user
    manager = is_manager(user)
    executes = may_execute(user, deployment)
    records_checks = may_record_checks(user, deployment) and deployment.status not in workflow.FINAL
    transitions = available_transitions(user, deployment)
    bound_transition = extra.pop("transition_form", None)

    def rows(name: str) -> list:
        return deployment_page_rows(deployment=deployment, name=name)

    checks = rows("checks")
    bound_checks = extra.pop("check_forms", {})
    groups: OrderedDict[str, dict] = OrderedDict(
        (kind, {"label": label, "checks": []}) for kind, label in CheckKind.choices
    )
    for check in checks:
        check.form = bound_checks.get(check.pk) or CheckRecordForm(
            auto_id=f"check{check.pk}-%s",
            initial={"result": check.result if check.result != "pending" else "pass", "evidence": check.evidence},
        )
        check.may_record = records_checks and may_record_check(user, deployment, check.kind)
        groups[check.kind]["checks"].append(check)
    readiness = readiness_groups(deployment, user) if deployment.status in workflow.OPEN else None
    feedback = rows("feedback")
    rated = any(f.user_id == user.pk for f in feedback)
    ctx = {
        "deployment": deployment,
        "versions": list(deployment.component_versions.all()),
        "practitioners": list(deployment.practitioners.all()),
        "approvals": rows("approvals"),
        "check_groups": [g for g in groups.values() if g["checks"]],
        "events": rows("events"),
        "incidents": rows("incidents"),
        "problems": rows("problems"),
        "feedback": feedback,
        "readiness": readiness,
        "readiness_blocked": sum(group["blocked"] for group in readiness or []),
        "transitions": transitions,
        "transition_form": bound_transition or transition_form(deployment, manager=manager),
        "pressed": extra.pop("pressed", ""),
        "is_manager": manager,
        "may_edit": may_edit(user, deployment),
        "may_execute": executes,
        "may_record_checks": records_checks,
        "pilot_model": deployment.model if deployment.model and deployment.model.status == "pilot" else None,
        "may_confirm_pilot": manager and not pilot_confirm_refusal(deployment),
        "pilot_form": extra.pop("pilot_form", None) or PilotConfirmForm(auto_id="pilot-%s"),
        "may_comment": may_comment(user, deployment),
        "may_rate": may_rate_now(user, deployment) and not rated,
        "comment_form": extra.pop("comment_form", None) or CommentForm(auto_id="comment-%s"),
        "incident_form": extra.pop("incident_form", None) or IncidentForm(auto_id="incident-%s"),
        "problem_form": extra.pop("problem_form", None) or ProblemForm(auto_id="problem-%s"),
        "feedback_form": extra.pop("feedback_form", None) or FeedbackForm(auto_id="feedback-%s"),
        "may_write_handover": may_write_handover(user, deployment),
        "handover_required": handover_required(deployment),
        "handover_form": extra.pop("handover_form", None) or HandoverForm.for_deployment(deployment),
    }
    ctx.update(plan_context(deployment, executes=executes, rows=rows, extra=extra))
    ctx.update(extra)
    return ctx


def plan_context(deployment: Deployment, *, executes: bool, rows, extra: dict) -> dict:
    """The step plan, the back-out plan and the release on the deployment's page (bound forms from `extra`)."""
    status = deployment.status
    steps = rows("steps")
    bound_steps = extra.pop("step_forms", {})
    for step in steps:
        step.form = bound_steps.get(step.pk) or StepRecordForm(
            auto_id=f"step{step.pk}-%s", initial={"status": "done" if step.status == "pending" else step.status}
        )
    return {
        "steps": steps,
        "steps_minutes": sum(s.expected_minutes or 0 for s in steps),
        "may_plan_steps": executes and status in workflow.PLANNING,
        "may_tick_steps": executes and status in workflow.IN_PROGRESS,
        "step_add_form": extra.pop("step_add_form", None)
        or StepAddForm(auto_id="stepadd-%s", people=step_owners(deployment)),
        "may_edit_back_out": executes and status not in workflow.FINAL,
        "back_out_form": extra.pop("back_out_form", None)
        or BackOutPlanForm(
            auto_id="backout-%s", initial={"back_out_plan": deployment.back_out_plan, "version": deployment.version}
        ),
        "may_release": executes and status == workflow.Status.COMPLETED and deployment.released_at is None,
        "release_form": extra.pop("release_form", None)
        or ReleaseForm(auto_id="release-%s", initial={"release_ref": deployment.release_ref}),
    }


def render_detail(request, deployment: Deployment, *, status: int = 200, **extra):
    deployment = visible_deployment(request, deployment.pk)  # re-read: the refused action changed nothing
    return render(
        request, "deployments/deployment_detail.html", detail_context(request, deployment, **extra), status=status
    )


def conflict_extra(exc, *, transition: str = "", comment: str = "") -> dict:
    """The error alert of a ConflictError, with what a manager needs to retry it with a justification."""
    return {
        "error": exc.message,
        "error_code": exc.code,
        "error_conflicts": [str(c) if not isinstance(c, Conflict) else c.message for c in exc.conflicts],
        "retry_transition": transition,
        "retry_comment": comment,
    }
