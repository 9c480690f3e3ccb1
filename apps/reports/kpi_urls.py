"""URLs of the KPI pages (included by apps/reports/urls.py under the `reports` namespace)."""

from django.urls import path

from apps.reports.kpi_views import KpiDrilldownView, KpiReportView

urlpatterns = [
    path("reports/kpis/", KpiReportView.as_view(), name="kpis"),
    path("reports/kpis/<slug:metric>/", KpiDrilldownView.as_view(), name="kpi_drilldown"),
]
