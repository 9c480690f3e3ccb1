"""Pages of deployment models: the register, a model with its drawn flow, editing, stages, RACI and lifecycle."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import ListView, TemplateView

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.deployment_models import selectors, services
from apps.deployment_models.filters import DeploymentModelFilterSet
from apps.deployment_models.forms import (
    DeploymentModelForm,
    ModelActivateForm,
    ModelEvaluateForm,
    ModelStageForm,
    ResponsibilityForm,
)
from apps.deployment_models.models import DeploymentModel, ModelStage, Raci, Responsibility
from apps.roles.definitions import RACI_ROLES, competency_of

VIEW = "deployment_models.view_deploymentmodel"
CHANGE = "deployment_models.change_deploymentmodel"
ADD = "deployment_models.add_deploymentmodel"


class ModelListView(PermissionRequiredMixin, ListView):
    permission_required = VIEW
    template_name = "deployment_models/model_list.html"
    context_object_name = "models"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = DeploymentModelFilterSet(self.request.GET or None, queryset=DeploymentModel.objects.none())
        return selectors.model_list(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        ctx["sort"] = self.request.GET.get("ordering", "")
        query = self.request.GET.copy()
        query.pop("ordering", None)
        query.pop("page", None)
        ctx["query_without_sort"] = query.urlencode()
        ctx["can_add"] = self.request.user.has_perm(ADD)
        return ctx


class ModelDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = VIEW
    template_name = "deployment_models/model_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        model = selectors.model_get(user=self.request.user, pk=kwargs["pk"])
        ctx.update(model=model, stages=list(model.stages.all()), raci=_raci_table(model))
        ctx["actions"] = selectors.model_available_actions(model=model, user=self.request.user)
        ctx["versions"] = selectors.model_versions(model=model)
        ctx["pilot_gate"] = services.pilot_gate(model) if model.status in ("draft", "pilot") else ""
        ctx["evaluate_form"] = ModelEvaluateForm(auto_id="evaluate-%s")
        ctx["activate_form"] = ModelActivateForm(auto_id="activate-%s")
        return ctx


def _raci_table(model) -> dict:
    """{"roles": [(role, competency profile)], "rows": [(activity, [letter or "" per role])]} for the RACI matrix,
    the roles in the role list's order."""
    rows = list(model.responsibilities.all())
    named = {r.role for r in rows}
    roles = [role for role in RACI_ROLES if role in named] + sorted(named - set(RACI_ROLES))
    activities = sorted({r.activity for r in rows})
    letters = {(r.activity, r.role): r.raci for r in rows}
    return {
        "roles": [(role, competency_of(role)) for role in roles],
        "rows": [(a, [letters.get((a, role), "") for role in roles]) for a in activities],
    }


class _ModelFormView(PermissionRequiredMixin, TemplateView):
    template_name = "deployment_models/model_form.html"

    def render_form(self, form, status=200, model=None):
        return self.render_to_response({"form": form, "model": model}, status=status)


class ModelCreateView(_ModelFormView):
    permission_required = ADD

    def get(self, request):
        return self.render_form(DeploymentModelForm())

    def post(self, request):
        form = DeploymentModelForm(request.POST)
        if form.is_valid():
            try:
                model = services.model_create(actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{model} created as a draft. Add its stages next.")
                return redirect("deployment_models:model_stages", pk=model.pk)
        return self.render_form(form, status=400)


class ModelUpdateView(_ModelFormView):
    permission_required = CHANGE

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.model_obj = selectors.model_get(user=request.user, pk=kwargs["pk"])
        if not self.model_obj.is_editable:
            messages.warning(request, f"{self.model_obj} is {self.model_obj.status}: make a new version to change it.")
            return redirect("deployment_models:model_detail", pk=self.model_obj.pk)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render_form(DeploymentModelForm(instance=self.model_obj), model=self.model_obj)

    def post(self, request, pk):
        form = DeploymentModelForm(request.POST, instance=DeploymentModel.objects.get(pk=pk))
        if form.is_valid():
            try:
                model = services.model_update(model=self.model_obj, actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{model} saved.")
                return redirect("deployment_models:model_detail", pk=model.pk)
        return self.render_form(form, status=400, model=self.model_obj)


class ModelStagesView(PermissionRequiredMixin, TemplateView):
    """The stages of a model: the drawn flow, each stage with edit / move / remove, and a form to add one."""

    permission_required = CHANGE
    template_name = "deployment_models/model_stages.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        model = selectors.model_get(user=self.request.user, pk=kwargs["pk"])
        ctx.update(model=model, stages=list(model.stages.all()))
        ctx.setdefault("form", kwargs.get("form") or ModelStageForm())
        return ctx

    def post(self, request, pk):
        model = selectors.model_get(user=request.user, pk=pk)
        form = ModelStageForm(request.POST)
        if form.is_valid():
            try:
                stage = services.stage_add(model=model, actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Stage {stage.order} into {stage.environment} added.")
                return redirect("deployment_models:model_stages", pk=pk)
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)


def _stage(request, pk, stage_id) -> ModelStage:
    model = selectors.model_get(user=request.user, pk=pk)
    return get_object_or_404(ModelStage.objects.select_related("model", "environment"), pk=stage_id, model=model)


class StageUpdateView(PermissionRequiredMixin, TemplateView):
    permission_required = CHANGE
    template_name = "deployment_models/stage_form.html"

    def get(self, request, pk, stage_id):
        stage = _stage(request, pk, stage_id)
        return self.render_to_response({"stage": stage, "form": ModelStageForm(instance=stage, submit_label="Save")})

    def post(self, request, pk, stage_id):
        stage = _stage(request, pk, stage_id)
        form = ModelStageForm(request.POST, instance=ModelStage.objects.get(pk=stage.pk), submit_label="Save")
        if form.is_valid():
            kwargs = {k: v for k, v in form.service_kwargs().items() if v is not None}
            try:
                services.stage_update(stage=stage, actor=request.user, **kwargs)
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Stage saved.")
                return redirect("deployment_models:model_stages", pk=pk)
        return self.render_to_response({"stage": stage, "form": form}, status=400)


class _PostActionView(PermissionRequiredMixin, View):
    """A POST that calls one service and comes back with a message; refusals are messages, never 500s."""

    permission_required = CHANGE
    http_method_names = ["post"]

    def run(self, request, **kwargs) -> tuple[str, str]:  # (success message, redirect URL)
        raise NotImplementedError

    def fallback_url(self, **kwargs) -> str:
        return reverse("deployment_models:model_detail", kwargs={"pk": kwargs["pk"]})

    def post(self, request, **kwargs):
        try:
            message, url = self.run(request, **kwargs)
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect(self.fallback_url(**kwargs))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(self.fallback_url(**kwargs))
        messages.success(request, message)
        return redirect(url)


class StageRemoveView(_PostActionView):
    def fallback_url(self, **kwargs):
        return reverse("deployment_models:model_stages", kwargs={"pk": kwargs["pk"]})

    def run(self, request, pk, stage_id):
        stage = _stage(request, pk, stage_id)
        services.stage_remove(stage=stage, actor=request.user)
        return f"Stage into {stage.environment} removed.", self.fallback_url(pk=pk)


class StageMoveView(_PostActionView):
    def fallback_url(self, **kwargs):
        return reverse("deployment_models:model_stages", kwargs={"pk": kwargs["pk"]})

    def run(self, request, pk, stage_id):
        stage = _stage(request, pk, stage_id)
        services.stage_move(stage=stage, actor=request.user, direction=request.POST.get("direction", ""))
        return f"Stage into {stage.environment} moved.", self.fallback_url(pk=pk)


class ModelResponsibilitiesView(PermissionRequiredMixin, TemplateView):
    permission_required = CHANGE
    template_name = "deployment_models/model_responsibilities.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        model = selectors.model_get(user=self.request.user, pk=kwargs["pk"])
        ctx.update(model=model, rows=list(model.responsibilities.all()), raci=_raci_table(model), letters=Raci)
        ctx.setdefault("form", kwargs.get("form") or ResponsibilityForm())
        return ctx

    def post(self, request, pk):
        model = selectors.model_get(user=request.user, pk=pk)
        form = ResponsibilityForm(request.POST)
        if form.is_valid():
            try:
                row = services.responsibility_add(model=model, actor=request.user, **form.cleaned_data)
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{row.role} is {row.get_raci_display()} for {row.activity}.")
                return redirect("deployment_models:model_responsibilities", pk=pk)
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)


class ResponsibilityRemoveView(_PostActionView):
    def fallback_url(self, **kwargs):
        return reverse("deployment_models:model_responsibilities", kwargs={"pk": kwargs["pk"]})

    def run(self, request, pk, responsibility_id):
        model = selectors.model_get(user=request.user, pk=pk)
        row = get_object_or_404(Responsibility, pk=responsibility_id, model=model)
        services.responsibility_remove(responsibility=row, actor=request.user)
        return f"{row.role} no longer listed for {row.activity}.", self.fallback_url(pk=pk)


class ModelLifecycleView(_PostActionView):
    """new-version, pilot, activate, retire: one view, the action named in the URL."""

    action = ""
    DONE = {"pilot": "is now a pilot", "activate": "is now active", "retire": "is retired"}

    def get_permission_required(self):
        return [ADD] if self.action == "new_version" else [CHANGE]

    def run(self, request, pk):
        model = selectors.model_get(user=request.user, pk=pk)
        if self.action == "new_version":
            copy = services.model_new_version(model=model, actor=request.user)
            return f"{copy} drafted from {model}: change it, then activate it.", copy_url(copy)
        kwargs = {}
        if self.action == "activate":
            kwargs["override_reason"] = request.POST.get("override_reason", "")[:5000]
        result = getattr(services, f"model_{self.action}")(model=model, actor=request.user, **kwargs)
        return f"{result} {self.DONE[self.action]}.", self.fallback_url(pk=pk)


class ModelEvaluateView(_PostActionView):
    """The evaluation that ends a pilot (outcome, findings, decision); a refusal comes back as a message."""

    def run(self, request, pk):
        model = selectors.model_get(user=request.user, pk=pk)
        form = ModelEvaluateForm(request.POST)
        if not form.is_valid():
            raise ValidationError([f"{name}: {' '.join(errs)}" for name, errs in form.errors.items()])
        result = services.model_evaluate(model=model, actor=request.user, **form.cleaned_data)
        return (
            f"The pilot of {result} is evaluated: {result.get_evaluation_decision_display().lower()}.",
            self.fallback_url(pk=pk),
        )


def copy_url(model) -> str:
    return reverse("deployment_models:model_detail", kwargs={"pk": model.pk})
