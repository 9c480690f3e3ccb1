"""The reports' API on v1: the KPIs (DESIGN.md §5), a plain view rather than a ViewSet."""

from django.urls import path

from apps.reports.api.kpis import KpiReportView

urlpatterns = [path("kpis/", KpiReportView.as_view(), name="kpi-report")]


def register(router) -> None:
    """The reports register no ViewSet on the router; their endpoint is in `urlpatterns`."""
