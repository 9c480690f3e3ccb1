"""Pages for environments, their standing checks and clearances, and freeze and maintenance windows."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from apps.core.forms import add_service_error
from apps.core.permissions import require, user_can
from apps.environments import selectors, services
from apps.environments.filters import EnvironmentFilterSet, FreezeWindowFilterSet, MaintenanceWindowFilterSet
from apps.environments.forms import (
    ClearanceForm,
    EnvironmentCheckForm,
    EnvironmentForm,
    FreezeWindowForm,
    MaintenanceWindowForm,
)
from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow

UPCOMING = dt.timedelta(weeks=4)


def _environment(request, slug: str) -> Environment:
    try:
        return selectors.environment_get(user=request.user, slug=slug)
    except Environment.DoesNotExist as exc:
        raise Http404("No such environment.") from exc


# --- environments ---------------------------------------------------------------------------------------------


class EnvironmentListView(LoginRequiredMixin, TemplateView):
    """Every environment, filterable by kind and control, sortable."""

    template_name = "environments/environment_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = EnvironmentFilterSet(self.request.GET or None, queryset=selectors.environment_list(user=user))
        ctx["filter"] = filterset
        ctx["environments"] = filterset.qs
        ctx["can_add"] = user_can(user, "environments.add_environment")
        return ctx


class EnvironmentFormView(LoginRequiredMixin, TemplateView):
    template_name = "environments/environment_form.html"
    perm = "environments.add_environment"
    environment = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, self.perm)
            if "slug" in kwargs:
                self.environment = _environment(request, kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = kwargs.get("form") or EnvironmentForm(instance=self.environment)
        ctx["environment"] = self.environment
        return ctx

    def post(self, request, *args, **kwargs):
        form = EnvironmentForm(request.POST, instance=self.environment)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if self.environment is None:
                    environment = services.environment_create(actor=request.user, **data)
                else:
                    environment = services.environment_update(environment=self.environment, actor=request.user, **data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Environment “{environment.name}” saved.")
                return redirect("environments:environment_detail", slug=environment.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EnvironmentCreateView(EnvironmentFormView):
    perm = "environments.add_environment"


class EnvironmentUpdateView(EnvironmentFormView):
    perm = "environments.change_environment"


EXPIRING_DAYS = 14


class EnvironmentDetailView(LoginRequiredMixin, TemplateView):
    """Purpose, owner, standing checks, windows and cleared practitioners of one environment."""

    template_name = "environments/environment_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        environment = kwargs.get("environment") or _environment(self.request, self.kwargs["slug"])
        now = timezone.now()
        ctx.update(
            environment=environment,
            checks=environment.standing_checks.all(),
            freeze_windows=selectors.freeze_window_list(user=user, filters={"applies_to": environment.pk}),
            maintenance_windows=selectors.maintenance_window_list(user=user).filter(environment=environment),
            upcoming_freezes=selectors.freeze_conflicts(environment=environment, start=now, end=now + UPCOMING),
            cleared=selectors.cleared_practitioners(environment=environment),
            can_change=user_can(user, "environments.change_environment"),
            can_manage_checks=user_can(user, "environments.add_environmentcheck"),
            check_form=kwargs.get("check_form") or EnvironmentCheckForm(),
            clearance_form=kwargs.get("clearance_form")
            or ClearanceForm(candidates=selectors.clearance_candidates(environment=environment)),
        )
        return ctx


class ClearanceExpiringView(LoginRequiredMixin, TemplateView):
    """Clearances that expire within the coming days (14 by default, ?days=1–90): what managers renew."""

    template_name = "environments/clearance_expiring.html"

    def get_context_data(self, **kwargs):
        require(self.request.user, services.CLEARANCE_PERM, message=services.CLEARANCE_REFUSAL)
        ctx = super().get_context_data(**kwargs)
        raw = self.request.GET.get("days", "")
        days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 90 else EXPIRING_DAYS
        ctx.update(days=days, clearances=list(selectors.clearances_expiring(within_days=days)[:500]))
        return ctx


class EnvironmentChecksView(LoginRequiredMixin, View):
    """POST: add a standing check, switch one on or off, or remove one (action = add | toggle | remove)."""

    http_method_names = ["post"]

    def post(self, request, slug: str):
        require(request.user, "environments.change_environmentcheck")
        environment = _environment(request, slug)
        action = request.POST.get("action", "add")
        form = EnvironmentCheckForm(request.POST)
        try:
            if action == "add":
                if form.is_valid():
                    services.environment_check_add(
                        environment=environment, description=form.cleaned_data["description"], actor=request.user
                    )
                    messages.success(request, "Standing check added.")
                    return redirect("environments:environment_detail", slug=slug)
            elif action in ("toggle", "remove"):
                check = get_object_or_404(EnvironmentCheck, pk=_int(request.POST.get("check")), environment=environment)
                if action == "toggle":
                    services.environment_check_update(check=check, actor=request.user, is_active=not check.is_active)
                else:
                    services.environment_check_remove(check=check, actor=request.user)
                messages.success(request, f"Standing check “{check.description}” updated.")
                return redirect("environments:environment_detail", slug=slug)
            else:
                form.add_error(None, "Unknown action.")
        except ValidationError as exc:
            add_service_error(form, exc)
        return _detail(request, environment, check_form=form)


class EnvironmentClearancesView(LoginRequiredMixin, View):
    """POST: clear (action=clear) or withdraw the clearance of (action=unclear) a practitioner."""

    http_method_names = ["post"]

    def post(self, request, slug: str):
        require(request.user, "environments.change_environment")
        environment = _environment(request, slug)
        action = request.POST.get("action", "clear")
        if action == "unclear":
            user = get_object_or_404(get_user_model(), pk=_int(request.POST.get("user")))
            services.environment_unclear_practitioner(environment=environment, user=user, actor=request.user)
            messages.success(request, f"{user.get_full_name() or user.username} is no longer cleared.")
            return redirect("environments:environment_detail", slug=slug)
        form = ClearanceForm(request.POST, candidates=selectors.clearance_candidates(environment=environment))
        if form.is_valid():
            user = form.cleaned_data["user"]
            try:
                services.environment_clear_practitioner(
                    environment=environment,
                    user=user,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{user.get_full_name() or user.username} is cleared for {environment}.")
                return redirect("environments:environment_detail", slug=slug)
        return _detail(request, environment, clearance_form=form)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _detail(request, environment, **forms):
    view = EnvironmentDetailView()
    view.setup(request, slug=environment.slug)
    return view.render_to_response(view.get_context_data(environment=environment, **forms), status=400)


# --- freeze and maintenance windows ---------------------------------------------------------------------------


class WindowKind:
    """What differs between freeze and maintenance windows in the pages."""

    def __init__(self, *, key, model, form, filterset, create, update, delete, label, plural):
        self.key, self.model, self.form, self.filterset = key, model, form, filterset
        self.create, self.update, self.delete = create, update, delete
        self.label, self.plural = label, plural
        self.model_name = model._meta.model_name
        for action in ("list", "create", "update", "delete", "preview"):
            setattr(self, f"{action}_name", f"environments:{key}_{action}")

    def url(self, action: str, *args) -> str:
        return reverse(f"environments:{self.key}_{action}", args=args)

    def perm(self, verb: str) -> str:
        return f"environments.{verb}_{self.model_name}"

    def list(self, user, filters=None):
        if self.model is FreezeWindow:
            return selectors.freeze_window_list(user=user, filters=filters)
        return selectors.maintenance_window_list(user=user, filters=filters)


FREEZE = WindowKind(
    key="freeze_window",
    model=FreezeWindow,
    form=FreezeWindowForm,
    filterset=FreezeWindowFilterSet,
    create=services.freeze_window_create,
    update=services.freeze_window_update,
    delete=services.freeze_window_delete,
    label="freeze window",
    plural="Freeze windows",
)
MAINTENANCE = WindowKind(
    key="maintenance_window",
    model=MaintenanceWindow,
    form=MaintenanceWindowForm,
    filterset=MaintenanceWindowFilterSet,
    create=services.maintenance_window_create,
    update=services.maintenance_window_update,
    delete=services.maintenance_window_delete,
    label="maintenance window",
    plural="Maintenance windows",
)


class WindowMixin(LoginRequiredMixin):
    kind: WindowKind = FREEZE

    def get_window(self, pk: int):
        return get_object_or_404(self.kind.list(self.request.user), pk=pk)


class WindowListView(WindowMixin, TemplateView):
    template_name = "environments/window_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = self.kind.filterset(self.request.GET or None, queryset=self.kind.list(user))
        page = Paginator(filterset.qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            kind=self.kind,
            filter=filterset,
            page=page,
            windows=page.object_list,
            query=query.urlencode(),
            can_add=user_can(user, self.kind.perm("add")),
            can_change=user_can(user, self.kind.perm("change")),
        )
        return ctx


class WindowFormView(WindowMixin, TemplateView):
    template_name = "environments/window_form.html"
    verb = "add"
    window = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, self.kind.perm(self.verb))
            if "pk" in kwargs:
                self.window = self.get_window(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        initial = {}
        if self.window is None and self.request.GET.get("environment"):
            initial["environment"] = _int(self.request.GET["environment"])
        ctx["form"] = kwargs.get("form") or self.kind.form(instance=self.window, initial=initial)
        ctx.update(kind=self.kind, window=self.window)
        return ctx

    def post(self, request, *args, **kwargs):
        form = self.kind.form(request.POST, instance=self.window)
        if form.is_valid():
            try:
                if self.window is None:
                    window = self.kind.create(actor=request.user, **form.service_fields())
                else:
                    window = self.kind.update(window=self.window, actor=request.user, **form.service_fields())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{self.kind.label.capitalize()} “{window.name}” saved.")
                return redirect(self.kind.url("preview", window.pk))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WindowCreateView(WindowFormView):
    verb = "add"


class WindowUpdateView(WindowFormView):
    verb = "change"


class WindowDeleteView(WindowMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        require(request.user, self.kind.perm("delete"))
        window = self.get_window(pk)
        self.kind.delete(window=window, actor=request.user)
        messages.success(request, f"{self.kind.label.capitalize()} “{window.name}” deleted.")
        return redirect(self.kind.url("list"))


class WindowPreviewView(WindowMixin, TemplateView):
    """The next occurrences of a window and the planned deployments they block (freeze) or hold (maintenance); the
    template asks the deployments app for those (`window_preview` tag), the app that knows deployments."""

    template_name = "environments/window_preview.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        window = self.get_window(self.kwargs["pk"])
        ctx.update(
            kind=self.kind,
            window=window,
            can_change=user_can(self.request.user, self.kind.perm("change")),
            can_delete=user_can(self.request.user, self.kind.perm("delete")),
        )
        return ctx
