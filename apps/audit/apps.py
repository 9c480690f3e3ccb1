"""App config of the audit trail: the hash chain every other app writes to, its page, API and verify command."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from apps.audit import checks  # noqa: F401 (registers the signing-key check)
        from apps.audit.history import record_history

        # django-simple-history announces each record it writes only through this signal; the adapter turns it
        # into an entry with the context the writing service opened (apps.audit.context), never a guessed one.
        post_create_historical_record.connect(record_history, dispatch_uid="deploydesk-audit-history")
