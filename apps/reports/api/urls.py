"""The reports' API on v1: the KPIs (DESIGN.md §5), a plain view, and the audit findings register."""

from django.urls import path

from apps.reports.api.findings import AuditFindingViewSet
from apps.reports.api.kpis import KpiReportView

urlpatterns = [path("kpis/", KpiReportView.as_view(), name="kpi-report")]


def register(router) -> None:
    """The KPIs are in `urlpatterns`; the findings register is a ViewSet."""
    router.register("audit-findings", AuditFindingViewSet, basename="audit-finding")
