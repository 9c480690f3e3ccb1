"""KPI pages: the report with its tiles and trend charts, and the drill-down behind each metric."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.views.generic import TemplateView

from apps.core.permissions import user_can
from apps.deployments.risk.backtest import risk_backtest_latest
from apps.deployments.selectors.visibility import sees_all_deployments
from apps.reports import charts
from apps.reports.forms import KpiFilterForm
from apps.reports.selectors.kpi_drilldown import kpi_drilldown
from apps.reports.selectors.kpi_goals import by_success_factor, kpi_scores, kpi_target_map
from apps.reports.selectors.kpi_trend import TrendPoint, kpi_trend
from apps.reports.selectors.kpis import METRICS, SPLIT_METRICS, VIEW_KPIS, KpiValue, kpi_report, kpi_split
from apps.reports.targets.forms import KpiTargetForm
from apps.reports.targets.services import CHANGE_TARGETS

PAGE_SIZE = 50
SPLIT_LEVELS = (("manual", "Manual"), ("automated", "Automated (partly or fully)"))


def format_value(kpi: KpiValue) -> str:
    """How a value reads on a tile: "62.5%", "1.25 per week", "24 h", "3.67 / 5", or "no data"."""
    value, unit = kpi.value, kpi.metric.unit
    if value is None:
        return "no data"
    text = f"{value:g}" if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")
    return {"%": f"{text}%", "hours": f"{text} h", "rating": f"{text} / 5", "per week": f"{text} per week"}.get(
        unit, text
    )


def bucket_label(point: TrendPoint, bucket: str) -> str:
    return f"{point.start:%b} {point.start.day}" if bucket == "week" else f"{point.start:%b %Y}"


def trend_charts(points: list[TrendPoint], bucket: str) -> list:
    """The three trend charts of the KPI page, as SVG."""
    labels = [bucket_label(p, bucket) for p in points]
    return [
        charts.chart(
            list(zip(labels, [p.success_rate for p in points], strict=True)),
            title=f"Successful deployments per {bucket}",
            x_label=bucket.capitalize(),
            y_label="Successful deployments",
            unit="%",
            y_max=100,
            testid="chart-success-rate",
        ),
        charts.chart(
            list(zip(labels, [p.completed for p in points], strict=True)),
            title=f"Deployments completed per {bucket}",
            x_label=bucket.capitalize(),
            y_label="Completed",
            unit="deployments",
            kind="bar",
            testid="chart-throughput",
        ),
        charts.chart(
            list(zip(labels, [p.lead_time_median_hours for p in points], strict=True)),
            title=f"Median lead time per {bucket}",
            x_label=bucket.capitalize(),
            y_label="Median lead time",
            unit="hours",
            testid="chart-lead-time",
        ),
    ]


class KpiAccessMixin(LoginRequiredMixin):
    """Anonymous users go to the login form; signed-in users without `reports.view_kpis` get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, VIEW_KPIS):
            raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
        return super().dispatch(request, *args, **kwargs)


class KpiReportView(KpiAccessMixin, TemplateView):
    """Every KPI for a period and filters, each with its definition and drill-down, and the trend charts."""

    template_name = "reports/kpi_report.html"

    def get(self, request, *args, **kwargs):
        form = KpiFilterForm(request.GET, user=request.user)
        ctx = self.get_context_data(form=form)
        if not form.is_valid():
            return self.render_to_response(ctx, status=400)
        filters, bucket = form.filters(), form.cleaned_data["bucket"]
        report = kpi_report(user=request.user, **filters)
        points = kpi_trend(user=request.user, bucket=bucket, **filters)
        targets = kpi_target_map()
        scores = kpi_scores(report.values, targets=targets)
        ctx.update(
            report=report,
            tiles=[(kpi, format_value(kpi), scores[kpi.metric.key]) for kpi in report.tiles()],
            factors=[
                (factor, [(report[k], format_value(report[k]), scores[k]) for k in keys])
                for factor, keys in by_success_factor(report.values)
            ],
            split=None if filters.get("automation_level") else automation_split(request.user, filters, targets),
            split_levels=SPLIT_LEVELS,
            target_form=KpiTargetForm() if user_can(request.user, CHANGE_TARGETS) else None,
            query=form.query_string(),
            charts=trend_charts(points, bucket),
            bucket=bucket,
            # the last back-test, over every deployment: shown to those who see them all (one indexed read)
            risk_backtest=risk_backtest_latest() if sees_all_deployments(user=request.user) else None,
        )
        return self.render_to_response(ctx)


def automation_split(user, filters: dict, targets: dict) -> list:
    """The main figures for manual and for automated deployments, side by side: one row per metric of SPLIT_METRICS,
    each cell (value as read, status against the same target); both levels read in one grouped pass."""
    levels = tuple(level for level, _label in SPLIT_LEVELS)
    split = kpi_split(user=user, levels=levels, **{k: v for k, v in filters.items() if k != "automation_level"})
    reports = [split[level] for level in levels]
    scored = [kpi_scores(r, targets=targets) for r in reports]
    return [
        (METRICS[key], [(format_value(r[key]), s[key]) for r, s in zip(reports, scored, strict=True)])
        for key in SPLIT_METRICS
    ]


class KpiDrilldownView(KpiAccessMixin, TemplateView):
    """The deployments behind one metric's numerator, with the same filters, paginated."""

    template_name = "reports/kpi_drilldown.html"

    def get(self, request, *args, metric: str, **kwargs):
        if metric not in METRICS:
            raise Http404("No such KPI.")
        form = KpiFilterForm(request.GET, user=request.user)
        ctx = self.get_context_data(form=form, metric=METRICS[metric])
        if not form.is_valid():
            return self.render_to_response(ctx, status=400)
        filters = form.filters()
        qs = kpi_drilldown(user=request.user, metric=metric, **filters)
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        ctx.update(
            page_obj=page,
            deployments=page.object_list,
            query=form.query_string(),
            period=filters,
            shows_hours=metric.startswith("lead_time")
            or metric in ("time_to_restore_median_hours", "release_lag_median_hours"),
        )
        return self.render_to_response(ctx)
