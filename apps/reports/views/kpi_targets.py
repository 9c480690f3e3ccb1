"""The KPI targets page: every metric's target, amber band and who set it when, grouped by success factor; managers
set and clear targets here (and from the form on the KPI page, which posts here)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from apps.audit.context import AuditContext
from apps.core.forms import add_service_error
from apps.core.permissions import user_can
from apps.reports.selectors.kpi_goals import amber_band, by_success_factor, goal_of, kpi_target_map
from apps.reports.selectors.kpi_metrics import METRICS
from apps.reports.targets import services
from apps.reports.targets.forms import KpiTargetForm
from apps.reports.views.kpis import KpiAccessMixin


def target_rows() -> list:
    """(success factor, [(metric, goal, target row or None, band in force)]) for every metric (one query)."""
    targets = kpi_target_map()
    groups = []
    for factor, keys in by_success_factor(METRICS):
        rows = []
        for key in keys:
            row = targets.get(key)
            band = amber_band(target=row.target, band=row.amber_band, metric=key) if row else None
            rows.append((METRICS[key], goal_of(key), row, band))
        groups.append((factor, rows))
    return groups


class KpiTargetsView(KpiAccessMixin, TemplateView):
    """GET: the targets (whoever sees KPIs). POST: set or clear one (deployment managers only; 403 otherwise)."""

    template_name = "reports/kpi_targets.html"

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        may_change = user_can(self.request.user, services.CHANGE_TARGETS)
        ctx.update(groups=target_rows(), form=form or (KpiTargetForm() if may_change else None))
        return ctx

    def post(self, request, *args, **kwargs):
        if not user_can(request.user, services.CHANGE_TARGETS):
            raise PermissionDenied(services.REFUSED)
        form = KpiTargetForm(request.POST)
        if form.is_valid():
            data, ctx = form.cleaned_data, AuditContext.from_request(request)
            label = METRICS[data["metric"]].label
            try:
                if data["clear"]:
                    removed = services.kpi_target_clear(ctx=ctx, metric=data["metric"])
                    text = f"Target of “{label}” removed." if removed else f"“{label}” had no target."
                else:
                    row = services.kpi_target_set(
                        ctx=ctx, metric=data["metric"], target=data["target"], amber_band=data["amber_band"]
                    )
                    text = f"Target of “{label}” set to {row.target:g}."
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, text)
                return redirect("reports:kpi_targets")
        return self.render_to_response(self.get_context_data(form=form), status=400)
