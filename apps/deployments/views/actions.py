"""The POST endpoints of a deployment's page: each calls one service, then redirects back with a message or
re-renders the page with the error (400 bad input, 403 not allowed, 409 conflict) — nothing half-written."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.deployments import services, workflow
from apps.deployments.forms import (
    CheckRecordForm,
    CommentForm,
    FeedbackForm,
    HandoverForm,
    IncidentForm,
    IncidentResolveForm,
    IncidentWithdrawForm,
    PilotConfirmForm,
    ProblemForm,
)
from apps.deployments.permissions import (
    is_manager,
    may_comment,
    may_edit_ever,
    may_execute,
    may_rate,
    may_record_check,
    may_take,
)
from apps.deployments.services import Context
from apps.deployments.services.handover import deployment_handover_set
from apps.deployments.views.common import conflict_extra, render_detail, transition_form, visible_deployment


class _DeploymentAction(LoginRequiredMixin, View):
    """Looks up the visible deployment (404 otherwise), validates the form, runs `perform`, and answers."""

    http_method_names = ["post"]
    form_class = None
    form_key = ""  # the context name of the form on the page
    success_message = ""

    def make_form(self, request, deployment, **kwargs):
        return self.form_class(request.POST, auto_id=f"{self.form_key.split('_')[0]}-%s")

    def bound_extra(self, form, **kwargs) -> dict:
        return {self.form_key: form}

    def perform(self, request, deployment, form, **kwargs):
        raise NotImplementedError

    def may(self, user, deployment, **kwargs) -> bool:
        """Who may post here, asked before the form is read (a refusal is 403 whatever was sent)."""
        raise NotImplementedError

    def post(self, request, pk: int, **kwargs):
        deployment = visible_deployment(request, pk)
        self.prepare(request, deployment, **kwargs)
        if not self.may(request.user, deployment, **kwargs):
            raise PermissionDenied("You may not do this to this deployment.")
        form = self.make_form(request, deployment, **kwargs)
        if not form.is_valid():
            return render_detail(
                request, deployment, status=400, error="Please correct the form.", **self.bound_extra(form, **kwargs)
            )
        try:
            message = self.perform(request, deployment, form, **kwargs)
        except ValidationError as exc:
            add_service_error(form, exc)
            errors = "; ".join(exc.messages)
            return render_detail(request, deployment, status=400, error=errors, **self.bound_extra(form, **kwargs))
        except ConflictError as exc:
            extra = conflict_extra(exc, **self.retry(form))
            return render_detail(request, deployment, status=409, **extra, **self.bound_extra(form, **kwargs))
        messages.success(request, message or self.success_message)
        return redirect("deployments:deployment_detail", pk=deployment.pk)

    def prepare(self, request, deployment, **kwargs) -> None:
        """Look up the sub-object of the URL (404 when it is not of this deployment)."""

    def retry(self, form) -> dict:
        return {}


class DeploymentTransitionView(_DeploymentAction):
    """Take one transition of the state machine; the service checks the table, the actor and the rules."""

    def prepare(self, request, deployment, action: str = "") -> None:
        if action not in workflow.TRANSITIONS or not workflow.TRANSITIONS[action].by_people:
            raise Http404("No such action.")

    def may(self, user, deployment, action: str = "") -> bool:
        return may_take(user, deployment, action)

    def make_form(self, request, deployment, action: str = ""):
        return transition_form(deployment, manager=is_manager(request.user), data=request.POST)

    def bound_extra(self, form, action: str = "") -> dict:
        return {"transition_form": form, "pressed": action}

    def retry(self, form) -> dict:
        return {"transition": self.kwargs.get("action", ""), "comment": form.cleaned_data.get("comment", "")}

    def perform(self, request, deployment, form, action: str = ""):
        data = form.cleaned_data
        updated = services.deployment_transition(
            ctx=Context.from_request(request),
            deployment=deployment,
            transition=action,
            comment=data.get("comment", ""),
            override_reason=data.get("override_reason", "") or "",
            expected_version=data.get("version"),
        )
        spec = workflow.TRANSITIONS[action]
        if updated.status == spec.target:
            return f"{updated.reference}: {spec.label} — now {updated.get_status_display().lower()}."
        return f"{updated.reference}: your decision is recorded; it is {updated.get_status_display().lower()}."


class CheckRecordView(_DeploymentAction):
    form_class = CheckRecordForm

    def prepare(self, request, deployment, check_id: int = 0) -> None:
        self.check_obj = get_object_or_404(deployment.checks.select_related("component_version"), pk=check_id)

    def may(self, user, deployment, check_id: int = 0) -> bool:
        return may_record_check(user, deployment, self.check_obj.kind)

    def make_form(self, request, deployment, check_id: int = 0):
        return CheckRecordForm(request.POST, auto_id=f"check{check_id}-%s")

    def bound_extra(self, form, check_id: int = 0) -> dict:
        return {"check_forms": {check_id: form}}

    def perform(self, request, deployment, form, check_id: int = 0):
        check = services.check_record(
            ctx=Context.from_request(request),
            check=self.check_obj,
            result=form.cleaned_data["result"],
            evidence=form.cleaned_data["evidence"],
            observed_checksum=form.cleaned_data["observed_checksum"],
        )
        return f"Check “{check.description}” recorded: {check.get_result_display()}."


class PilotConfirmView(_DeploymentAction):
    """A deployment manager confirms a completed run under a model in pilot (model testing)."""

    form_class = PilotConfirmForm
    form_key = "pilot_form"

    def may(self, user, deployment, **kwargs) -> bool:
        return is_manager(user)

    def perform(self, request, deployment, form, **kwargs):
        updated = services.deployment_pilot_confirm(
            ctx=Context.from_request(request), deployment=deployment, comment=form.cleaned_data["comment"]
        )
        model = updated.model
        return (
            f"{updated.reference} confirmed as a pilot run of {model}: "
            f"{model.pilot_runs_confirmed} of {model.pilot_runs_required}."
        )


class CommentAddView(_DeploymentAction):
    form_class = CommentForm
    form_key = "comment_form"
    success_message = "Comment added."

    def may(self, user, deployment) -> bool:
        return may_comment(user, deployment)

    def perform(self, request, deployment, form):
        services.comment_add(
            ctx=Context.from_request(request), deployment=deployment, comment=form.cleaned_data["comment"]
        )


class IncidentAddView(_DeploymentAction):
    form_class = IncidentForm
    form_key = "incident_form"

    def may(self, user, deployment) -> bool:
        return may_execute(user, deployment)

    def perform(self, request, deployment, form):
        link = services.incident_link_add(ctx=Context.from_request(request), deployment=deployment, **form.cleaned_data)
        return f"Incident {link.incident_ref} linked."


class _IncidentAction(_DeploymentAction):
    """An action on one incident link of the deployment (404 when it is not one of its links)."""

    def prepare(self, request, deployment, incident_id: int = 0) -> None:
        self.link = get_object_or_404(deployment.incidents.all(), pk=incident_id)

    def may(self, user, deployment, incident_id: int = 0) -> bool:
        return may_execute(user, deployment)

    def make_form(self, request, deployment, incident_id: int = 0):
        return self.form_class(request.POST, auto_id=f"incident{incident_id}-%s")

    def bound_extra(self, form, incident_id: int = 0) -> dict:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return {"incident_errors": {"id": incident_id, "messages": errors}}


class IncidentResolveView(_IncidentAction):
    form_class = IncidentResolveForm

    def perform(self, request, deployment, form, incident_id: int = 0):
        link = services.incident_link_resolve(
            ctx=Context.from_request(request), link=self.link, resolved_at=form.cleaned_data["resolved_at"]
        )
        return f"Incident {link.incident_ref} marked as resolved."


class IncidentWithdrawView(_IncidentAction):
    form_class = IncidentWithdrawForm

    def perform(self, request, deployment, form, incident_id: int = 0):
        link = services.incident_link_withdraw(
            ctx=Context.from_request(request), link=self.link, reason=form.cleaned_data["reason"]
        )
        return f"Incident {link.incident_ref} withdrawn."


class ProblemAddView(_DeploymentAction):
    form_class = ProblemForm
    form_key = "problem_form"
    success_message = "Problem recorded."

    def may(self, user, deployment) -> bool:
        return may_execute(user, deployment)

    def perform(self, request, deployment, form):
        services.problem_add(ctx=Context.from_request(request), deployment=deployment, **form.cleaned_data)


class ProblemResolveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int, problem_id: int):
        deployment = visible_deployment(request, pk)
        problem = get_object_or_404(deployment.problems.all(), pk=problem_id)
        if not may_execute(request.user, deployment):
            raise PermissionDenied("Only a deployment manager or an assigned practitioner resolves problems.")
        services.problem_resolve(ctx=Context.from_request(request), problem=problem)
        messages.success(request, "Problem marked as resolved.")
        return redirect("deployments:deployment_detail", pk=deployment.pk)


class FeedbackSubmitView(_DeploymentAction):
    form_class = FeedbackForm
    form_key = "feedback_form"
    success_message = "Thank you: your rating is recorded."

    def may(self, user, deployment) -> bool:
        return may_rate(user, deployment)

    def perform(self, request, deployment, form):
        services.feedback_submit(ctx=Context.from_request(request), deployment=deployment, **form.cleaned_data)


class HandoverSetView(_DeploymentAction):
    """Write the handover note and its knowledge links (while planned or during verification)."""

    form_key = "handover_form"

    def make_form(self, request, deployment, **kwargs):
        return HandoverForm.for_deployment(deployment, data=request.POST)

    def may(self, user, deployment, **kwargs) -> bool:
        return may_execute(user, deployment) or may_edit_ever(user, deployment)

    def perform(self, request, deployment, form, **kwargs):
        data = form.cleaned_data
        updated = deployment_handover_set(
            ctx=Context.from_request(request),
            deployment=deployment,
            handover_note=data["handover_note"],
            knowledge_links=data["knowledge_links"],
            expected_version=data.get("version"),
        )
        return f"{updated.reference}: handover note saved."
