"""`GET /api/v1/kpis/`: the KPIs of DESIGN.md §5 for a period and filters, with how each was computed."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import user_can
from apps.reports.forms import KpiFilterForm
from apps.reports.selectors.kpis import API_METRICS, VIEW_KPIS, kpi_report

COUNT_METRICS = {"failures", "backlog", "compliance_exceptions", "audit_findings"}
PARAM_NAMES = {"start": "from", "end": "to"}


class KpiDetailSerializer(serializers.Serializer):
    numerator = serializers.FloatField(allow_null=True, help_text="What was counted (or summed).")
    denominator = serializers.FloatField(allow_null=True, help_text="What it was divided by; null when not a ratio.")
    definition = serializers.CharField()
    unit = serializers.CharField(help_text="%, count, per week, hours or rating.")


class KpiFiltersSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True)
    service = serializers.IntegerField(allow_null=True)
    model = serializers.IntegerField(allow_null=True)
    supplier = serializers.IntegerField(allow_null=True)


class FindingsBySeveritySerializer(serializers.Serializer):
    low = serializers.IntegerField()
    medium = serializers.IntegerField()
    high = serializers.IntegerField()
    critical = serializers.IntegerField()


class KpiReportSerializer(serializers.Serializer):
    """The KPI resource: one field per metric (null where there is no data), the period, filters and details."""

    start = serializers.DateField(help_text="First day of the period (inclusive).")
    end = serializers.DateField(help_text="Last day of the period (inclusive).")
    filters = KpiFiltersSerializer()
    details = serializers.DictField(child=KpiDetailSerializer(), help_text="Per metric: how it was computed.")
    audit_findings_by_severity = FindingsBySeveritySerializer(
        help_text="The audit findings raised in the period, per severity (they add up to audit_findings)."
    )

    def get_fields(self):
        fields = super().get_fields()
        renamed = {PARAM_NAMES.get(name, name): field for name, field in fields.items()}
        for name in API_METRICS:
            if name in COUNT_METRICS:
                renamed[name] = serializers.IntegerField()
            else:
                renamed[name] = serializers.FloatField(allow_null=True)
        return renamed


def kpi_payload(report) -> dict:
    """The resource as a plain dict (exactly the §5 fields, plus from, to, filters, details)."""
    return {
        **{key: report[key].value for key in API_METRICS},
        "from": report.period.first,
        "to": report.period.last,
        "filters": report.filters,
        "details": {key: report[key].as_dict() for key in API_METRICS},
        "audit_findings_by_severity": report["audit_findings"].breakdown,
    }


class CanViewKpis(permissions.BasePermission):
    message = "Only deployment managers, service and product owners and auditors see KPIs."

    def has_permission(self, request, view) -> bool:
        return user_can(request.user, VIEW_KPIS)


def _id_param(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=f"Only deployments of this {what} (id).")


class KpiReportView(APIView):
    """The KPIs over the deployments the caller may see (service and product owners: their services only)."""

    permission_classes = [permissions.IsAuthenticated, CanViewKpis]

    @extend_schema(
        summary="KPIs for a period",
        tags=["reports"],
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); default: 90 days ago."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default: today."),
            _id_param("environment", "environment"),
            _id_param("service", "service"),
            _id_param("model", "deployment model"),
        ],
        responses={200: KpiReportSerializer},
    )
    def get(self, request):
        form = KpiFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            errors = {PARAM_NAMES.get(k, k): v for k, v in form.errors.items()}
            raise ValidationError({("non_field_errors" if k == "__all__" else k): v for k, v in errors.items()})
        report = kpi_report(user=request.user, **form.filters())
        return Response(KpiReportSerializer(kpi_payload(report)).data)
