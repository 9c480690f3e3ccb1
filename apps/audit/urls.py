"""URLs of the audit trail page (DESIGN.md §5: /audit/)."""

from django.urls import path

from apps.audit.views import AuditEntryListView

app_name = "audit"

urlpatterns = [
    path("audit/", AuditEntryListView.as_view(), name="auditentry_list"),
]
