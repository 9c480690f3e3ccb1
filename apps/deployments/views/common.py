"""What the deployment pages share: the visible-or-404 lookup and the context of a deployment's page."""

from collections import OrderedDict

from django.http import Http404
from django.shortcuts import render

from apps.core.permissions import user_can
from apps.deployments import rules, selectors, workflow
from apps.deployments.forms import (
    CheckRecordForm,
    CommentForm,
    FeedbackForm,
    IncidentForm,
    ProblemForm,
    TransitionForm,
)
from apps.deployments.models import CheckKind, Deployment
from apps.deployments.permissions import available_transitions, is_manager, may_edit, may_execute, may_give_feedback
from apps.deployments.rules import Conflict

PLANNING = (workflow.Status.DRAFT, workflow.Status.PENDING_APPROVAL, workflow.Status.APPROVED)


def visible_deployment(request, pk: int) -> Deployment:
    """The deployment if the user may see it; 404 otherwise (what one may not see does not exist)."""
    try:
        return selectors.deployment_get(user=request.user, pk=pk)
    except Deployment.DoesNotExist as exc:
        raise Http404("No such deployment.") from exc


def transition_form(deployment: Deployment, name: str, *, manager: bool, data=None) -> TransitionForm:
    form = TransitionForm(data, auto_id=f"t-{name}-%s", initial={"version": deployment.version})
    spec = workflow.TRANSITIONS.get(name)
    if spec is not None and spec.needs_comment:
        form.fields["comment"].label = "Comment (required: say why)"
    form.fields["comment"].widget.attrs.update({"rows": 1, "placeholder": "Optional note for the timeline"})
    if spec is not None and spec.needs_comment:
        form.fields["comment"].widget.attrs["placeholder"] = "Why?"
    if not manager:
        del form.fields["override_reason"]
    return form


def detail_context(request, deployment: Deployment, **extra) -> dict:
    """Everything the deployment page shows. `extra` may carry bound forms with errors and an error alert."""
    user = request.user
    manager = is_manager(user)
    executes = may_execute(user, deployment)
    transitions = available_transitions(user, deployment)
    bound_transition = extra.pop("transition_forms", {})

    def rows(name: str, queryset) -> list:
        return selectors.deployment_related_rows(deployment=deployment, name=name, queryset=queryset)

    checks = rows("checks", selectors.deployment_checks(deployment=deployment))
    bound_checks = extra.pop("check_forms", {})
    groups: OrderedDict[str, dict] = OrderedDict(
        (kind, {"label": label, "checks": []}) for kind, label in CheckKind.choices
    )
    for check in checks:
        check.form = bound_checks.get(check.pk) or CheckRecordForm(
            auto_id=f"check{check.pk}-%s",
            initial={"result": check.result if check.result != "pending" else "pass", "evidence": check.evidence},
        )
        groups[check.kind]["checks"].append(check)
    feedback = rows("feedback", deployment.feedback.select_related("user"))
    rated = any(f.user_id == user.pk for f in feedback)
    in_planning = deployment.status in PLANNING
    ctx = {
        "deployment": deployment,
        "versions": list(deployment.component_versions.all()),
        "practitioners": list(deployment.practitioners.all()),
        "approvals": rows("approvals", selectors.deployment_approvals(deployment=deployment)),
        "check_groups": [g for g in groups.values() if g["checks"]],
        "events": rows("events", selectors.deployment_events(deployment=deployment)),
        "incidents": rows("incidents", deployment.incidents.all()),
        "problems": rows("problems", deployment.problems.all()),
        "feedback": feedback,
        "conflicts": rules.deployment_conflicts(deployment) if in_planning else [],
        "promotion_gaps": rules.promotion_gaps(deployment) if in_planning else [],
        "transitions": [
            (t, bound_transition.get(t.name) or transition_form(deployment, t.name, manager=manager))
            for t in transitions
        ],
        "is_manager": manager,
        "may_edit": may_edit(user, deployment),
        "may_execute": executes,
        "may_record_checks": executes and deployment.status not in workflow.FINAL,
        "may_comment": user_can(user, "deployments.add_deployment"),
        "may_rate": (may_give_feedback(user, deployment) or (manager and deployment.requester_id == user.pk))
        and deployment.status == workflow.Status.COMPLETED
        and not rated,
        "comment_form": extra.pop("comment_form", None) or CommentForm(auto_id="comment-%s"),
        "incident_form": extra.pop("incident_form", None) or IncidentForm(auto_id="incident-%s"),
        "problem_form": extra.pop("problem_form", None) or ProblemForm(auto_id="problem-%s"),
        "feedback_form": extra.pop("feedback_form", None) or FeedbackForm(auto_id="feedback-%s"),
    }
    ctx.update(extra)
    return ctx


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
