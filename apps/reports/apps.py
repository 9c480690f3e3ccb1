"""App config for the reports: KPIs, dashboard, calendar, matrix, exports and printable reports."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"
