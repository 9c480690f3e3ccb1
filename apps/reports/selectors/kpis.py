"""The KPIs of DESIGN.md §3, computed in SQL over the deployments a user may see: values, trends and drill-downs."""

import datetime as dt
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Ceil, Floor, RowNumber, TruncMonth, TruncWeek
from django.utils import timezone

from apps.catalog.models import Service
from apps.core.permissions import user_can
from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Check, CheckResult, Deployment, Feedback, IncidentLink
from apps.deployments.selectors import deployment_list, deployment_visible_q
from apps.deployments.workflow import Status
from apps.environments.models import Environment, EnvironmentKind
from apps.reports.permissions import VIEW_KPIS
from apps.reports.selectors.kpi_cache import cached_kpi

DEFAULT_DAYS = 90
BUCKETS = ("week", "month")

# --- SQL building blocks -------------------------------------------------------------------------------------


class SecondsBetween(Func):
    """`end - start` in seconds as a float, on PostgreSQL and SQLite (Django has no portable epoch difference)."""

    arity = 2
    output_field = FloatField()

    def _parts(self, compiler):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return end_sql, start_sql, (*end_params, *start_params)

    def as_sql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"(EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))::double precision)", params


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)` — an ordered-set aggregate."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles(qs: QuerySet, value, fractions: tuple[float, ...], group=None) -> dict:
    """{group key: (n, {fraction: value})} of `value` over `qs`, interpolated like percentile_cont.

    PostgreSQL computes them with percentile_cont; elsewhere (SQLite) the database numbers the ordered values per
    group with window functions and returns only the one or two rows each percentile falls between.
    """
    group = group if group is not None else Value(0)
    qs = qs.order_by().annotate(_g=group, _v=value).filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        rows = qs.values("_g").annotate(
            _n=Count("pk"), **{f"_p{i}": PercentileCont("_v", p) for i, p in enumerate(fractions)}
        )
        return {r["_g"]: (r["_n"], {p: r[f"_p{i}"] for i, p in enumerate(fractions)}) for r in rows}
    qs = qs.annotate(
        _rn=Window(RowNumber(), partition_by=[F("_g")], order_by=[F("_v").asc(), F("pk").asc()]),
        _n=Window(Count("pk"), partition_by=[F("_g")]),
    )
    wanted = Q()
    for p in fractions:
        pos = (F("_n") - 1) * Value(float(p))
        wanted |= Q(_rn=Floor(pos) + 1) | Q(_rn=Ceil(pos) + 1)
    picked: dict = {}
    for g, v, rn, n in qs.filter(wanted).values_list("_g", "_v", "_rn", "_n"):
        picked.setdefault(g, (n, {}))[1][rn - 1] = v
    result = {}
    for g, (n, by_offset) in picked.items():
        values = {}
        for p in fractions:
            pos = (n - 1) * p
            lo, hi = math.floor(pos), math.ceil(pos)
            values[p] = by_offset[lo] + (by_offset[hi] - by_offset[lo]) * (pos - lo)
        result[g] = (n, values)
    return result


def without_jit(func):
    """Runs `func` inside fast_aggregates()."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with fast_aggregates():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def fast_aggregates():
    """On PostgreSQL, switch JIT compilation off for these statements: their cost estimates (subplans over tens of
    thousands of rows) trigger JIT, whose compilation takes longer than the queries themselves (seconds)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


# --- what each metric counts ---------------------------------------------------------------------------------

FINISHED = (Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK)
COMPLETED = Q(status=Status.COMPLETED)
FAILED = Q(status__in=(Status.FAILED, Status.ROLLED_BACK))
# `environment_id IN (...)` and `id IN (...)` rather than joins or EXISTS: PostgreSQL hashes these small sets once
# instead of probing an index per deployment.
PRODUCTION = Q(environment__in=Environment.objects.filter(kind=EnvironmentKind.PRODUCTION).values("pk"))
ON_SCHEDULE = Q(actual_start__gte=F("planned_start"), actual_end__lte=F("planned_end"))
AGREED_MODEL = Q(model__status__in=(ModelStatus.ACTIVE, ModelStatus.PILOT, ModelStatus.RETIRED))
NOT_PLANNED = (Status.DRAFT, Status.CANCELLED)


def has_incident() -> Q:
    return Q(pk__in=IncidentLink.objects.values("deployment_id"))


def has_feedback() -> Q:
    return Q(Exists(Feedback.objects.filter(deployment=OuterRef("pk"))))


def has_evidence_gap() -> Q:
    unpassed = Check.objects.filter(deployment=OuterRef("pk"), required=True).exclude(
        result__in=(CheckResult.PASS, CheckResult.NOT_APPLICABLE)
    )
    return Q(Exists(unpassed))


def restored_at():
    """When the service was next deployed successfully to the same environment after this deployment ended."""
    nxt = Deployment.objects.filter(
        service=OuterRef("service"),
        environment=OuterRef("environment"),
        status=Status.COMPLETED,
        actual_end__gt=OuterRef("actual_end"),
    ).order_by("actual_end")
    return Subquery(nxt.values("actual_end")[:1])


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
            "start in the period.",
            "overrides",
            "planned",
        ),
        Metric(
            "audit_findings",
            "Audit findings",
            "count",
            "Deployments completed in the period whose record an auditor would flag: a required check "
            "left pending or failed (evidence missing).",
            "completed with evidence gaps",
            "completed",
            in_api=False,
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
            "For production deployments that failed or were rolled back in the period: median time from the "
            "failure to the next completed deployment of the same service in the same environment. "
            "Failures not yet restored are left out.",
            "restored failures",
            "failures in production",
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


# --- the base queryset ---------------------------------------------------------------------------------------


def kpi_base(*, user, environment=None, service=None, model=None) -> QuerySet[Deployment]:
    """The deployments the user's KPIs are computed over: those they may see, and for service and product owners
    only those of their services (DESIGN.md §1); then the filters. PermissionDenied without `reports.view_kpis`."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    qs = deployment_list(user=user).select_related(None)
    if deployment_visible_q(user) is not None:
        qs = qs.filter(service__in=kpi_services(user=user).values("pk"))
    if environment is not None:
        qs = qs.filter(environment=environment)
    if service is not None:
        qs = qs.filter(service=service)
    if model is not None:
        qs = qs.filter(model=model)
    return qs.order_by()


def kpi_services(*, user) -> QuerySet[Service]:
    """The services whose KPIs the user may see."""
    if deployment_visible_q(user) is None:
        return Service.objects.all()
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).distinct()


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=DEFAULT_DAYS), today)


# --- the report ----------------------------------------------------------------------------------------------


def _finished_counts(base: QuerySet, period: Period) -> dict:
    return base.filter(period.finished()).aggregate(
        finished=Count("pk"),
        completed=Count("pk", filter=COMPLETED),
        failures=Count("pk", filter=FAILED),
        with_incidents=Count("pk", filter=has_incident()),
        on_schedule=Count("pk", filter=ON_SCHEDULE),
        lead_n=Count("pk", filter=COMPLETED & Q(submitted_at__isnull=False)),
        evidence_gaps=Count("pk", filter=COMPLETED & has_evidence_gap()),
        prod_finished=Count("pk", filter=PRODUCTION),
        prod_completed=Count("pk", filter=PRODUCTION & COMPLETED),
        prod_failed=Count("pk", filter=PRODUCTION & FAILED),
        prod_change_failures=Count("pk", filter=PRODUCTION & (FAILED | has_incident())),
    )


def _lead_times(base: QuerySet, period: Period) -> dict:
    qs = base.filter(period.finished() & COMPLETED & Q(submitted_at__isnull=False))
    return percentiles(qs, lead_seconds(), (0.5, 0.9)).get(0, (0, {}))[1]


def _time_to_restore(base: QuerySet, period: Period) -> tuple[int, float | None]:
    qs = base.filter(period.finished() & PRODUCTION & FAILED).annotate(_restored=restored_at())
    n, values = percentiles(qs, SecondsBetween(F("_restored"), F("actual_end")), (0.5,)).get(0, (0, {}))
    return n, values.get(0.5)


def _value(key: str, value, numerator=None, denominator=None) -> KpiValue:
    return KpiValue(METRICS[key], value, numerator, denominator)


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_report(*, user, start: dt.date, end: dt.date, environment=None, service=None, model=None) -> KpiReport:
    """Every KPI of DESIGN.md §3 over the deployments `user` may see, for the days start..end (inclusive).

    A constant number of queries (six), each filtered on an indexed range; rates are percentages with one
    decimal, hours and ratings have two; a metric whose denominator is 0 has the value None ("no data")."""
    base = kpi_base(user=user, environment=environment, service=service, model=model)
    period = Period(start, end)
    c = _finished_counts(base, period)
    lead = _lead_times(base, period)
    planned = base.filter(period.planned()).aggregate(
        planned=Count("pk"), agreed=Count("pk", filter=AGREED_MODEL), overrides=Sum("override_count")
    )
    backlog = base.filter(status=Status.APPROVED).count()
    fb = Feedback.objects.filter(deployment__in=base.filter(period.finished()).values("pk")).aggregate(
        n=Count("pk"),
        lead_sum=Sum("rating_lead_time"),
        lead_avg=Avg("rating_lead_time"),
        quality_sum=Sum("rating_quality"),
        quality_avg=Avg("rating_quality"),
    )
    restored, ttr = _time_to_restore(base, period)
    weeks = round(period.weeks, 4)
    overrides = planned["overrides"] or 0
    values = [
        _value("success_rate", _pct(c["completed"], c["finished"]), c["completed"], c["finished"]),
        _value("failures", c["failures"], c["failures"], c["finished"]),
        _value("incident_rate", _pct(c["with_incidents"], c["finished"]), c["with_incidents"], c["finished"]),
        _value("schedule_adherence", _pct(c["on_schedule"], c["finished"]), c["on_schedule"], c["finished"]),
        _value("backlog", backlog, backlog),
        _value("throughput_per_week", _ratio(c["completed"], period.weeks), c["completed"], weeks),
        _value("lead_time_median_hours", _hours(lead.get(0.5)), c["lead_n"]),
        _value("lead_time_p90_hours", _hours(lead.get(0.9)), c["lead_n"]),
        _value("satisfaction_lead_time", _ratio(fb["lead_sum"] or 0, fb["n"]), fb["lead_sum"] or 0, fb["n"]),
        _value("satisfaction_quality", _ratio(fb["quality_sum"] or 0, fb["n"]), fb["quality_sum"] or 0, fb["n"]),
        _value(
            "model_adoption_rate", _pct(planned["agreed"], planned["planned"]), planned["agreed"], planned["planned"]
        ),
        _value("compliance_exceptions", overrides, overrides, planned["planned"]),
        _value("audit_findings", c["evidence_gaps"], c["evidence_gaps"], c["completed"]),
        _value("deployment_frequency_per_week", _ratio(c["prod_completed"], period.weeks), c["prod_completed"], weeks),
        _value(
            "change_failure_rate",
            _pct(c["prod_change_failures"], c["prod_finished"]),
            c["prod_change_failures"],
            c["prod_finished"],
        ),
        _value("time_to_restore_median_hours", _hours(ttr), restored, c["prod_failed"]),
    ]
    filters = {"environment": _pk(environment), "service": _pk(service), "model": _pk(model)}
    return KpiReport(period=period, filters=filters, values={v.metric.key: v for v in values})


def _pk(obj):
    return getattr(obj, "pk", obj)


# --- trends --------------------------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    start: dt.date
    finished: int = 0
    completed: int = 0
    lead_time_median_hours: float | None = None

    @property
    def success_rate(self) -> float | None:
        return _pct(self.completed, self.finished)


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if bucket == "week" else day.replace(day=1)


def _next_bucket(day: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return day + dt.timedelta(days=7)
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_trend(
    *, user, start: dt.date, end: dt.date, bucket: str = "week", environment=None, service=None, model=None
) -> list[TrendPoint]:
    """Success rate, completions and median lead time per week or month of the period (two grouped queries)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    base = kpi_base(user=user, environment=environment, service=service, model=model)
    period = Period(start, end)
    trunc = (TruncWeek if bucket == "week" else TruncMonth)("actual_end")
    points: dict[dt.date, TrendPoint] = {}
    day = _bucket_start(start, bucket)
    while day <= end:
        points[day] = TrendPoint(day)
        day = _next_bucket(day, bucket)
    rows = (
        base.filter(period.finished())
        .annotate(_b=trunc)
        .values("_b")
        .annotate(finished=Count("pk"), completed=Count("pk", filter=COMPLETED))
        .order_by()
    )
    for row in rows:
        point = points.get(_as_date(row["_b"]))
        if point is not None:
            point.finished, point.completed = row["finished"], row["completed"]
    lead_qs = base.filter(period.finished() & COMPLETED & Q(submitted_at__isnull=False))
    for b, (_n, values) in percentiles(lead_qs, lead_seconds(), (0.5,), group=trunc).items():
        point = points.get(_as_date(b))
        if point is not None:
            point.lead_time_median_hours = _hours(values[0.5])
    return list(points.values())


# --- drill-down ----------------------------------------------------------------------------------------------


def kpi_drilldown(
    *, user, metric: str, start: dt.date, end: dt.date, environment=None, service=None, model=None
) -> QuerySet[Deployment]:
    """The deployments behind a metric's numerator, with the same scope and filters; KeyError for unknown ones."""
    spec = METRICS[metric]
    base = kpi_base(user=user, environment=environment, service=service, model=model)
    p = Period(start, end)
    finished = p.finished()
    numerators = {
        "success_rate": finished & COMPLETED,
        "failures": finished & FAILED,
        "incident_rate": finished & has_incident(),
        "schedule_adherence": finished & ON_SCHEDULE,
        "backlog": Q(status=Status.APPROVED),
        "throughput_per_week": finished & COMPLETED,
        "lead_time_median_hours": finished & COMPLETED & Q(submitted_at__isnull=False),
        "lead_time_p90_hours": finished & COMPLETED & Q(submitted_at__isnull=False),
        "satisfaction_lead_time": finished & has_feedback(),
        "satisfaction_quality": finished & has_feedback(),
        "model_adoption_rate": p.planned() & AGREED_MODEL,
        "compliance_exceptions": p.planned() & Q(override_count__gt=0),
        "audit_findings": finished & COMPLETED & has_evidence_gap(),
        "deployment_frequency_per_week": finished & PRODUCTION & COMPLETED,
        "change_failure_rate": finished & PRODUCTION & (FAILED | has_incident()),
        "time_to_restore_median_hours": finished & PRODUCTION & FAILED,
    }
    qs = base.filter(numerators[spec.key]).select_related("environment", "service", "model")
    if spec.key.startswith("lead_time"):
        qs = qs.annotate(hours=lead_seconds() / 3600.0)
    elif spec.key == "time_to_restore_median_hours":
        qs = qs.annotate(restored=restored_at()).filter(restored__isnull=False)
        qs = qs.annotate(hours=SecondsBetween(F("restored"), F("actual_end")) / 3600.0)
    order = ["planned_start", "id"] if spec.key == "backlog" else ["-actual_end", "-id"]
    if spec.key in ("model_adoption_rate", "compliance_exceptions"):
        order = ["-planned_start", "-id"]
    return qs.order_by(*order)


HEADLINE = ("success_rate", "throughput_per_week", "lead_time_median_hours", "change_failure_rate", "backlog")


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_headline(*, user, start: dt.date, end: dt.date) -> dict[str, KpiValue]:
    """The dashboard's headline KPIs (HEADLINE) — the same definitions as kpi_report, in three queries."""
    base = kpi_base(user=user)
    period = Period(start, end)
    c = _finished_counts(base, period)
    lead = _lead_times(base, period)
    backlog = base.filter(status=Status.APPROVED).count()
    values = [
        _value("success_rate", _pct(c["completed"], c["finished"]), c["completed"], c["finished"]),
        _value("throughput_per_week", _ratio(c["completed"], period.weeks), c["completed"], round(period.weeks, 4)),
        _value("lead_time_median_hours", _hours(lead.get(0.5)), c["lead_n"]),
        _value(
            "change_failure_rate",
            _pct(c["prod_change_failures"], c["prod_finished"]),
            c["prod_change_failures"],
            c["prod_finished"],
        ),
        _value("backlog", backlog, backlog),
    ]
    return {v.metric.key: v for v in values}
