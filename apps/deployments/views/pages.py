"""The deployment pages: planning and editing, a deployment's page, my work and my approvals (the register is in
register.py)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from apps.core.exceptions import ConflictError
from apps.core.permissions import user_can
from apps.deployments import rules, workflow
from apps.deployments.forms import DeploymentEditForm, DeploymentForm
from apps.deployments.models import Deployment
from apps.deployments.permissions import may_edit
from apps.deployments.selectors.work import awaiting_approval, my_work
from apps.deployments.services import Context, deployment_create, deployment_update
from apps.deployments.suggestions import practitioner_suggestions
from apps.deployments.views.common import detail_context, visible_deployment
from apps.deployments.views.register import PAGE_SIZE


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class _SimpleListView(LoginRequiredMixin, View):
    template_name = "deployments/deployment_queue.html"
    heading = ""
    empty = ""
    testid = ""

    def queryset(self, user):
        raise NotImplementedError

    def get(self, request):
        page = _page(request, self.queryset(request.user))
        return render(
            request,
            self.template_name,
            {
                "heading": self.heading,
                "empty": self.empty,
                "testid": self.testid,
                "page": page,
                "deployments": page.object_list,
                "page_query": "",
            },
        )


class MyWorkView(_SimpleListView):
    heading = "My work"
    empty = "No open deployments are assigned to you."
    testid = "my-work"

    def queryset(self, user):
        return my_work(user=user)


class ApprovalsView(_SimpleListView):
    heading = "Awaiting my approval"
    empty = "Nothing is waiting for your approval."
    testid = "approvals"

    def queryset(self, user):
        return awaiting_approval(user=user)


def _plan_check(form) -> dict:
    """The conflicts of the plan in the form, and the next free window of its length in its environment."""
    data = form.cleaned_data
    environment, start, end = data.get("environment"), data.get("planned_start"), data.get("planned_end")
    if environment is None or start is None or end is None or end <= start:
        return {"plan_checked": True, "plan_conflicts": [], "free_slot": None, "plan_incomplete": True}
    exclude = form.deployment.pk if form.deployment is not None else None
    suggestions = practitioner_suggestions(
        environment=environment,
        component_types={v.component.type for v in data.get("component_versions") or []},
        start=start,
        end=end,
        exclude_deployment_id=exclude,
    )
    conflicts = rules.plan_conflicts(
        environment=environment,
        start=start,
        end=end,
        versions=list(data.get("component_versions") or []),
        practitioners=list(data.get("practitioners") or []),
        is_rollback=data.get("is_rollback", False),
        action=data.get("action"),
        exclude_pk=exclude,
    )
    free_slot, slot_error = None, ""
    if conflicts:
        from apps.environments.selectors import next_free_slot

        busy = []
        if not environment.allows_parallel_deployments:
            others = Deployment.objects.filter(
                environment=environment,
                status__in=workflow.PLANNED,
                planned_end__gt=start,
                planned_start__lt=start + dt.timedelta(days=92),
            )
            if exclude:
                others = others.exclude(pk=exclude)
            busy = list(others.values_list("planned_start", "planned_end")[:500])
        try:
            free_slot = next_free_slot(environment=environment, duration=end - start, after=start, busy=busy)
        except ConflictError as exc:
            slot_error = exc.message
    return {
        "plan_checked": True,
        "plan_conflicts": conflicts,
        "free_slot": free_slot,
        "slot_error": slot_error,
        "suggestions": suggestions,
    }


class DeploymentCreateView(LoginRequiredMixin, View):
    """Plan a deployment; "Check plan" shows its conflicts and the next free window without saving."""

    template_name = "deployments/deployment_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, "deployments.add_deployment"):
            raise PermissionDenied("You may not request deployments.")
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, status=200, **extra):
        return render(request, self.template_name, {"form": form, "creating": True, **extra}, status=status)

    def get(self, request):
        initial = {}
        for name in ("service", "environment", "model"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
        return self._render(request, DeploymentForm(user=request.user, initial=initial))

    def post(self, request):
        form = DeploymentForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, form, status=400)
        if "check" in request.POST:
            return self._render(request, form, **_plan_check(form))
        try:
            deployment = deployment_create(ctx=Context.from_request(request), data=form.service_data())
        except ValidationError as exc:
            form.apply_errors(exc)
            return self._render(request, form, status=400)
        except PermissionDenied as exc:
            form.add_error("service", str(exc) or "You may not request deployments for this service.")
            return self._render(request, form, status=403)
        messages.success(request, f"{deployment.reference} planned as a draft. Submit it for approval when ready.")
        return redirect("deployments:deployment_detail", pk=deployment.pk)


class DeploymentUpdateView(LoginRequiredMixin, View):
    """Edit the plan; the hidden version makes a concurrent second save fail instead of overwriting the first."""

    template_name = "deployments/deployment_form.html"

    def _deployment(self, request, pk):
        deployment = visible_deployment(request, pk)
        if not may_edit(request.user, deployment):
            raise PermissionDenied(f"{deployment.reference} cannot be edited by you in its current state.")
        return deployment

    def _render(self, request, form, deployment, status=200, **extra):
        ctx = {"form": form, "deployment": deployment, "creating": False, **extra}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk: int):
        deployment = self._deployment(request, pk)
        form = DeploymentEditForm(
            user=request.user, deployment=deployment, initial=DeploymentEditForm.initial_for(deployment)
        )
        suggestions = practitioner_suggestions(
            environment=deployment.environment,
            component_types=set(deployment.component_versions.values_list("component__type", flat=True)),
            start=deployment.planned_start,
            end=deployment.planned_end,
            exclude_deployment_id=deployment.pk,
        )
        return self._render(request, form, deployment, suggestions=suggestions, suggestions_shown=True)

    def post(self, request, pk: int):
        deployment = self._deployment(request, pk)
        form = DeploymentEditForm(request.POST, user=request.user, deployment=deployment)
        if not form.is_valid():
            return self._render(request, form, deployment, status=400)
        if "check" in request.POST:
            return self._render(request, form, deployment, **_plan_check(form))
        try:
            deployment = deployment_update(
                ctx=Context.from_request(request),
                deployment=deployment,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
            return self._render(request, form, deployment, status=400)
        except ConflictError as exc:
            stale = exc.code == "stale_version"
            form.add_error(None, exc.message)
            return self._render(request, form, deployment, status=409, stale=stale)
        messages.success(request, f"{deployment.reference} saved.")
        return redirect("deployments:deployment_detail", pk=deployment.pk)


class DeploymentDetailView(LoginRequiredMixin, View):
    """A deployment's page: plan, checks, approvals, timeline, and only the actions the user may take."""

    def get(self, request, pk: int):
        deployment = visible_deployment(request, pk)
        return render(request, "deployments/deployment_detail.html", detail_context(request, deployment))
