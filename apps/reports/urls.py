"""URLs of the reports app: KPI reports, calendar and feeds, matrix, exports and their jobs, printable reports, and the
audit findings register."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.reports.views import calendar, exports, findings, kpi_targets, kpis, matrix, printable

app_name = "reports"

urlpatterns = [
    path("reports/kpis/", kpis.KpiReportView.as_view(), name="kpis"),
    path("reports/kpis/targets/", kpi_targets.KpiTargetsView.as_view(), name="kpi_targets"),
    path("reports/kpis/<slug:metric>/", kpis.KpiDrilldownView.as_view(), name="kpi_drilldown"),
    path("calendar/", calendar.CalendarView.as_view(), name="calendar"),
    path("calendar.ics", calendar.CalendarIcsView.as_view(), name="calendar_ics"),
    path("calendar/feed/<str:token>.ics", calendar.CalendarFeedView.as_view(), name="calendar_feed"),
    path("matrix/", matrix.MatrixView.as_view(), name="matrix"),
    path("exports/", exports.ExportListView.as_view(), name="export_list"),
    path("exports/deployments.csv", exports.ExportDeploymentsCsvView.as_view(), name="export_deployments_csv"),
    path("exports/deployments.xlsx", exports.ExportDeploymentsXlsxView.as_view(), name="export_deployments_xlsx"),
    path("exports/audit-trail.csv", exports.ExportAuditCsvView.as_view(), name="export_audit_csv"),
    path("exports/audit-pack.zip", exports.ExportAuditPackView.as_view(), name="export_audit_pack"),
    path("exports/jobs/<int:pk>/", exports.ExportJobView.as_view(), name="export_job"),
    path("exports/jobs/<int:pk>/status/", exports.ExportJobStatusView.as_view(), name="export_job_status"),
    path("exports/jobs/<int:pk>/download/", exports.ExportJobDownloadView.as_view(), name="export_job_download"),
    *resource_pages(
        "findings",
        "finding",
        list=findings.FindingListView,
        create=findings.FindingCreateView,
        detail=findings.FindingDetailView,
    ),
    path("findings/<int:pk>/status/", findings.FindingStatusView.as_view(), name="finding_status"),
    path("deployments/<int:pk>/report/", printable.DeploymentReportView.as_view(), name="deployment_report"),
    path("reviews/<int:pk>/report/", printable.ReviewReportView.as_view(), name="review_report"),
]
