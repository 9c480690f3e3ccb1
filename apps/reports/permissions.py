"""Who may read the reports: KPI pages and exports, and which services' audit entries an exporter may read."""

from django.db.models import Q, QuerySet

from apps.catalog.models import Service
from apps.core.permissions import user_can

VIEW_KPIS = "reports.view_kpis"
EXPORT_PERM = "reports.export_records"


def audit_services_for(user) -> QuerySet | None:
    """settings.AUDIT_SERVICE_SCOPE: an exporter without `audit.view_audit` reads the audit entries of the services
    they own (service and product owners, DESIGN.md §1); anyone else none of them."""
    if not user_can(user, EXPORT_PERM):
        return None
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).values("pk")
