"""App config for KPIs, calendar, matrix, exports and the audit trail."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports and audit"
