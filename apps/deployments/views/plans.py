"""The POST endpoints of a deployment page's plan beside its status: release, step plan and back-out plan."""

from django import forms
from django.shortcuts import get_object_or_404

from apps.deployments import services
from apps.deployments.permissions import may_execute, may_release
from apps.deployments.plan_forms import BackOutPlanForm, ReleaseForm, StepAddForm, StepRecordForm, step_owners
from apps.deployments.services import Context
from apps.deployments.views.actions import _DeploymentAction


class DeploymentReleaseView(_DeploymentAction):
    """Record the release of a completed deployment to its users."""

    form_class = ReleaseForm
    form_key = "release_form"

    def may(self, user, deployment) -> bool:
        return may_release(user, deployment)

    def perform(self, request, deployment, form):
        updated = services.deployment_release(
            ctx=Context.from_request(request), deployment=deployment, **form.cleaned_data
        )
        return f"{updated.reference} released to its users ({updated.release_ref})."


class StepAddView(_DeploymentAction):
    form_class = StepAddForm
    form_key = "step_add_form"

    def may(self, user, deployment) -> bool:
        return may_execute(user, deployment)

    def make_form(self, request, deployment):
        return StepAddForm(request.POST, auto_id="stepadd-%s", people=step_owners(deployment))

    def perform(self, request, deployment, form):
        step = services.step_add(ctx=Context.from_request(request), deployment=deployment, **form.cleaned_data)
        return f"Step {step.order} “{step.title}” added."


class _StepAction(_DeploymentAction):
    """An action on one step of the deployment (404 when it is not one of its steps)."""

    def prepare(self, request, deployment, step_id: int = 0) -> None:
        self.step = get_object_or_404(deployment.steps.all(), pk=step_id)

    def may(self, user, deployment, step_id: int = 0) -> bool:
        return may_execute(user, deployment)

    def make_form(self, request, deployment, step_id: int = 0):
        return self.form_class(request.POST, auto_id=f"step{step_id}-%s")

    def bound_extra(self, form, step_id: int = 0) -> dict:
        return {"step_forms": {step_id: form}}


class StepRecordView(_StepAction):
    form_class = StepRecordForm

    def perform(self, request, deployment, form, step_id: int = 0):
        step = services.step_record(ctx=Context.from_request(request), step=self.step, **form.cleaned_data)
        return f"Step “{step.title}”: {step.get_status_display().lower()}."


class StepRemoveView(_StepAction):
    form_class = None

    def make_form(self, request, deployment, step_id: int = 0):
        return forms.Form(request.POST)

    def bound_extra(self, form, step_id: int = 0) -> dict:
        return {}

    def perform(self, request, deployment, form, step_id: int = 0):
        services.step_remove(ctx=Context.from_request(request), step=self.step)
        return f"Step “{self.step.title}” removed from the plan."


class BackOutPlanView(_DeploymentAction):
    """Edit the back-out plan alone (until the deployment is final), with the version read."""

    form_class = BackOutPlanForm
    form_key = "back_out_form"

    def may(self, user, deployment) -> bool:
        return may_execute(user, deployment)  # the service answers 409 once the deployment is final

    def perform(self, request, deployment, form):
        services.deployment_update(
            ctx=Context.from_request(request),
            deployment=deployment,
            data={"back_out_plan": form.cleaned_data["back_out_plan"]},
            expected_version=form.cleaned_data["version"],
        )
        return "Back-out plan saved."
