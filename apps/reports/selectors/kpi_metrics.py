"""The metric table of the KPIs (DESIGN.md §3): what each metric counts, its unit, target and definition."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.deployment_models.models import ModelStatus
from apps.deployments.models import AUTOMATION_LEVELS as AUTOMATION_LEVELS  # the filter's levels, with the level rows
from apps.deployments.models import AlignmentRating, DeploymentEvent, Feedback, IncidentLink
from apps.deployments.workflow import FINISHED, NOT_PLANNED, UNSUCCESSFUL, Status
from apps.environments.models import Environment, EnvironmentKind
from apps.reports.selectors.kpi_sql import SecondsBetween

DEFAULT_DAYS = 90
BUCKETS = ("week", "month")

# --- what each metric counts ---------------------------------------------------------------------------------

COMPLETED = Q(status=Status.COMPLETED)
FAILED = Q(status__in=UNSUCCESSFUL)
# `environment_id IN (...)` and `id IN (...)` rather than joins or EXISTS: PostgreSQL hashes these small sets once
# instead of probing an index per deployment.
PRODUCTION = Q(environment__in=Environment.objects.filter(kind=EnvironmentKind.PRODUCTION).values("pk"))
ON_SCHEDULE = Q(actual_start__gte=F("planned_start"), actual_end__lte=F("planned_end"))
AGREED_MODEL = Q(model__status__in=(ModelStatus.ACTIVE, ModelStatus.PILOT, ModelStatus.RETIRED))

AUTOMATION_CHOICES = [
    ("manual", "Manual"),
    ("automated", "Automated (partly or fully)"),
    ("partly_automated", "Partly automated"),
    ("fully_automated", "Fully automated"),
]


def has_incident() -> Q:
    """At least one incident attributed to it and not withdrawn (a withdrawn link was made by mistake)."""
    return Q(pk__in=IncidentLink.objects.filter(withdrawn_at__isnull=True).values("deployment_id"))


def has_feedback(**extra) -> Q:
    return Q(Exists(Feedback.objects.filter(deployment=OuterRef("pk"), **extra)))


def has_alignment_rating() -> Q:
    return Q(Exists(AlignmentRating.objects.filter(deployment=OuterRef("pk"), answered_at__isnull=False)))


def restore_seconds():
    """How long the deployment's failure took to restore, in seconds: from the failure to the end of its roll-back,
    or else from the opening of an incident attributed to it (not withdrawn) to the incident's resolution (the
    quickest); None when nothing was restored. For the drill-down; the figure itself comes from the rollup."""
    rolled_back = DeploymentEvent.objects.filter(deployment=OuterRef("pk"), to_status=Status.ROLLED_BACK).order_by(
        "-at"
    )
    incident = (
        IncidentLink.objects.filter(deployment=OuterRef("pk"), withdrawn_at__isnull=True, resolved_at__isnull=False)
        .annotate(_s=SecondsBetween(F("resolved_at"), F("opened_at")))
        .order_by("_s")
    )
    return Coalesce(
        SecondsBetween(Subquery(rolled_back.values("at")[:1]), F("actual_end")),
        Subquery(incident.values("_s")[:1]),
        output_field=FloatField(),
    )


def lead_seconds():
    return SecondsBetween(F("actual_end"), F("submitted_at"))


@dataclass(frozen=True)
class Period:
    """[start, end) in the current time zone, from two dates taken inclusively."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min))

    @property
    def weeks(self) -> float:
        return ((self.last - self.first).days + 1) / 7

    def finished(self) -> Q:
        return Q(status__in=FINISHED, actual_end__gte=self.start, actual_end__lt=self.end)

    def planned(self) -> Q:
        return Q(planned_start__gte=self.start, planned_start__lt=self.end) & ~Q(status__in=NOT_PLANNED)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "%", "count", "per week", "hours", "rating"
    definition: str
    numerator: str
    denominator: str = ""
    in_api: bool = True


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric(
            "success_rate",
            "Successful deployments",
            "%",
            "Deployments completed, as a share of the deployments that finished (completed, failed or rolled "
            "back) in the period, by actual end.",
            "completed",
            "finished",
        ),
        Metric(
            "failures",
            "Failures",
            "count",
            "Deployments that failed or were rolled back, finishing in the period.",
            "failed or rolled back",
            "finished",
        ),
        Metric(
            "incident_rate",
            "Deployments with incidents",
            "%",
            "Finished deployments with at least one incident attributed to them, as a share of the "
            "deployments that finished in the period.",
            "with incidents",
            "finished",
        ),
        Metric(
            "schedule_adherence",
            "Adherence to schedule",
            "%",
            "Finished deployments that started at or after their planned start and ended by their planned end, "
            "as a share of the deployments that finished in the period.",
            "on schedule",
            "finished",
        ),
        Metric(
            "backlog",
            "Backlog",
            "count",
            "Deployments approved and not yet started, now (the period does not apply).",
            "approved",
        ),
        Metric(
            "throughput_per_week",
            "Throughput",
            "per week",
            "Deployments completed in the period, per week of the period.",
            "completed",
            "weeks",
        ),
        Metric(
            "lead_time_median_hours",
            "Lead time (median)",
            "hours",
            "Median time from submission to completion of the deployments completed in the period.",
            "completed",
        ),
        Metric(
            "lead_time_p90_hours",
            "Lead time (90th percentile)",
            "hours",
            "90th percentile of the time from submission to completion of the deployments completed in the period.",
            "completed",
        ),
        Metric(
            "satisfaction_lead_time",
            "Satisfaction with lead time",
            "rating",
            "Average 1–5 rating of the lead time given by stakeholders of the deployments that finished in the period.",
            "sum of ratings",
            "ratings",
        ),
        Metric(
            "satisfaction_quality",
            "Satisfaction with quality",
            "rating",
            "Average 1–5 rating of the quality given by stakeholders of the deployments that finished in the period.",
            "sum of ratings",
            "ratings",
        ),
        Metric(
            "partner_alignment",
            "Partners' and consumers' alignment",
            "rating",
            "Average 1–5 rating, by the suppliers' and consumers' contacts asked after each completed deployment, of "
            "how well the deployment's approach suited them, for the deployments that finished in the period.",
            "sum of ratings",
            "ratings",
        ),
        Metric(
            "satisfaction_rate_of_change",
            "Satisfaction with the rate of change",
            "rating",
            "Average 1–5 rating of the rate of change (how often the service is changed) given by stakeholders of the "
            "deployments that finished in the period; ratings that left the question unanswered are left out.",
            "sum of ratings",
            "ratings",
        ),
        Metric(
            "model_adoption_rate",
            "Adoption of agreed models",
            "%",
            "Deployments planned to start in the period (drafts and cancelled ones left out) under an agreed "
            "deployment model (active or pilot; retired models count, they were agreed when used), as a share "
            "of all of them.",
            "under an agreed model",
            "planned",
        ),
        Metric(
            "compliance_exceptions",
            "Compliance exceptions",
            "count",
            "Emergency overrides (of conflicts, freezes or the promotion gate) on the deployments planned to "
            "start in the period, and deployment models activated in it without a finished, evaluated pilot.",
            "overrides",
            "planned",
        ),
        Metric(
            "audit_findings",
            "Audit findings",
            "count",
            "Audit findings raised in the period (by the day raised), by severity: about the deployments in scope "
            "and, unless an environment or service is chosen, about the deployment models and their reviews.",
            "raised",
        ),
        Metric(
            "deployment_frequency_per_week",
            "Deployment frequency (production)",
            "per week",
            "Deployments completed in production environments in the period, per week.",
            "completed in production",
            "weeks",
        ),
        Metric(
            "change_failure_rate",
            "Change failure rate (production)",
            "%",
            "Production deployments that failed, were rolled back or caused an incident, as a share of the "
            "production deployments that finished in the period.",
            "failed or with incidents",
            "finished in production",
        ),
        Metric(
            "time_to_restore_median_hours",
            "Time to restore (production, median)",
            "hours",
            "For the production deployments that finished in the period: median time from a failure to the "
            "restoration of the service. A failure is a deployment that failed (restored when its roll-back "
            "completed) or an incident attributed to a deployment (restored at the incident's resolution time); "
            "withdrawn incident links do not count, and failures not yet restored are left out of the median.",
            "restored failures",
            "failures in production",
        ),
        Metric(
            "release_lag_median_hours",
            "Deployment to release (median)",
            "hours",
            "For the deployments completed in the period and since released to their users: median time from "
            "the end of the deployment to its release. Deployed and not yet released ones are left out.",
            "released",
            "completed",
        ),
    ]
}
API_METRICS = [key for key, m in METRICS.items() if m.in_api]


@dataclass
class KpiValue:
    """One metric's value with what it was computed from; `value` is None when the denominator is 0 (no data)."""

    metric: Metric
    value: float | int | None
    numerator: float | int | None = None
    denominator: float | int | None = None
    breakdown: dict | None = None  # e.g. audit findings per severity

    @property
    def no_data(self) -> bool:
        return self.value is None

    def as_dict(self) -> dict:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "definition": self.metric.definition,
            "unit": self.metric.unit,
        }


@dataclass
class KpiReport:
    """Every metric for one period and set of filters."""

    period: Period
    filters: dict
    values: dict[str, KpiValue] = field(default_factory=dict)

    def __getitem__(self, key: str) -> KpiValue:
        return self.values[key]

    def tiles(self) -> list[KpiValue]:
        return list(self.values.values())


def _pct(n, d) -> float | None:
    return None if not d else round(100 * n / d, 1)


def _ratio(n, d, digits: int = 2) -> float | None:
    return None if not d else round(n / d, digits)


def _hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)
