"""App config for KPIs, calendar, matrix, exports and the audit trail."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports and audit"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from apps.reports.history import record_history

        # Audit logging is cross-cutting: every historical record of every model enters the hash chain.
        post_create_historical_record.connect(record_history, dispatch_uid="deploydesk-audit-history")
