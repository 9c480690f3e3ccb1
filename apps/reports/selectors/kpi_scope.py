"""The scope of the KPIs (DESIGN.md §1, §3): which deployments, rollup rows and audit findings a user's figures are
computed over, for the filters of the KPI page and API. Shared by the report (kpis), the trends (kpi_trend) and the
drill-downs (kpi_drilldown)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.catalog.models import Service
from apps.core.permissions import user_can
from apps.deployment_models.models import DeploymentModel
from apps.deployments.models import ALL, Deployment, DeploymentStatusCount
from apps.deployments.selectors.visibility import deployment_list, sees_all_deployments
from apps.deployments.workflow import Status
from apps.reports.permissions import VIEW_KPIS
from apps.reports.selectors.kpi_metrics import AUTOMATION_LEVELS, COMPLETED, DEFAULT_DAYS, Period
from apps.reports.selectors.kpi_rollup import RollupScope, level_rows


def pk_of(obj):
    """The primary key of a filter value given as an object or as a key."""
    return getattr(obj, "pk", obj)


def kpi_base(
    *, user, environment=None, service=None, model=None, supplier=None, automation_level=None
) -> QuerySet[Deployment]:
    """The deployments the user's KPIs are computed over: those they may see, and for service and product owners
    only those of their services (DESIGN.md §1); then the filters (`automation_level`: a key of AUTOMATION_LEVELS,
    matched on the deployment's model). PermissionDenied without `reports.view_kpis`."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    qs = deployment_list(user=user, join=False)
    if not sees_all_deployments(user=user):
        qs = qs.filter(service__in=kpi_services(user=user).values("pk"))
    if environment is not None:
        qs = qs.filter(environment=environment)
    if service is not None:
        qs = qs.filter(service=service)
    if model is not None:
        qs = qs.filter(model=model)
    if supplier is not None:
        qs = qs.filter(supplier=supplier)
    if automation_level:
        qs = qs.filter(model__automation_level__in=AUTOMATION_LEVELS[automation_level])
    return qs.order_by()


def kpi_rows(
    *, user, period: Period, environment=None, service=None, model=None, supplier=None, automation_level=None
) -> RollupScope:
    """The rollup rows the user's KPIs are read from: the same scope and filters as kpi_base (an automation level's
    durations from its level rows, unless a model of it changed level since it was filed)."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    return RollupScope(
        first=period.first,
        last=period.last,
        services=kpi_services(user=user) if not sees_all_deployments(user=user) else None,
        environment=environment,
        service=service,
        model=model,
        supplier=supplier,
        models=automation_models(automation_level) if automation_level else None,
        levels=level_rows((automation_level,)) if automation_level else (),
    )


def kpi_backlog(
    base: QuerySet[Deployment],
    *,
    user,
    environment=None,
    service=None,
    model=None,
    supplier=None,
    automation_level=None,
) -> int:
    """The approved deployments of `base` (kpi_base with the same filters) now: for a user who sees every deployment
    and cuts by no service or supplier, read from the counts the services keep per environment and model
    (DeploymentStatusCount: one row, or one per model of an automation level, however many are approved); otherwise
    counted."""
    if not sees_all_deployments(user=user) or service is not None or supplier is not None:
        return base.filter(status=Status.APPROVED).count()
    rows = DeploymentStatusCount.objects.filter(
        status=Status.APPROVED, service_id=ALL, environment_id=ALL if environment is None else pk_of(environment)
    )
    if model is not None:
        rows = rows.filter(model_id=pk_of(model))
    if automation_level:
        rows = rows.filter(model_id__in=automation_models(automation_level).values("pk"))
    elif model is None:
        rows = rows.filter(model_id=ALL)
    return rows.aggregate(n=Sum("deployments"))["n"] or 0


def automation_models(level: str) -> QuerySet[DeploymentModel]:
    """The models of an automation level (a key of AUTOMATION_LEVELS), as they are now."""
    return DeploymentModel.objects.filter(automation_level__in=AUTOMATION_LEVELS[level])


def kpi_services(*, user) -> QuerySet[Service]:
    """The services whose KPIs the user may see."""
    if sees_all_deployments(user=user):
        return Service.objects.all()
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).distinct()


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=DEFAULT_DAYS), today)


def released_completed(period: Period) -> Q:
    """Completed in the period and released to users since (a removal is never released)."""
    return period.finished() & COMPLETED & Q(released_at__isnull=False)


def findings_in_scope_q(
    base: QuerySet,
    *,
    user,
    period: Period,
    environment=None,
    service=None,
    model=None,
    supplier=None,
    automation_level=None,
) -> Q:
    """The audit findings a KPI counts: raised in the period, about a deployment of `base`; and, for a user who sees
    every deployment and chose no environment, service or supplier, about the models (or the chosen model, or the
    models of the chosen automation level) and their reviews."""
    raised = Q(raised_at__gte=period.start, raised_at__lt=period.end)
    if not sees_all_deployments(user=user) or any(f is not None for f in (environment, service, supplier)):
        return raised & Q(deployment__in=base.values("pk"))
    if model is None and not automation_level:
        return raised
    models = DeploymentModel.objects.all()
    if model is not None:
        models = models.filter(pk=pk_of(model))
    if automation_level:
        models = models.filter(automation_level__in=AUTOMATION_LEVELS[automation_level])
    models = models.values("pk")
    return raised & (Q(deployment__in=base.values("pk")) | Q(model__in=models) | Q(review__model__in=models))
