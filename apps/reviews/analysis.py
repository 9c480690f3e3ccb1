"""The records analysis a review meets on: a model's deployments over a period, computed with SQL aggregates."""

import datetime as dt
from statistics import median

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from apps.deployment_models.models import DeploymentModel
from apps.deployments.models import Deployment, DeploymentEvent, EventKind, Feedback, IncidentLink
from apps.deployments.selectors.visibility import deployment_visible_q
from apps.deployments.workflow import FINAL, FINISHED, UNSUCCESSFUL, Status

MAX_LISTED = 50  # failures and incidents listed by name; the counts are always complete


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def deployments_in_period(*, model: DeploymentModel, start: dt.date, end: dt.date) -> QuerySet[Deployment]:
    """The model's deployments that happened in the period: by actual start, else planned start, else creation."""
    low, high = _bounds(start, end)
    return (
        Deployment.objects.filter(model=model)
        .annotate(at=Coalesce("actual_start", "planned_start", "created_at"))
        .filter(at__gte=low, at__lt=high)
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(delta: dt.timedelta | None) -> float | None:
    return round(delta.total_seconds() / 3600, 2) if delta is not None else None


def failure_rate(*, model: DeploymentModel, start: dt.date, end: dt.date) -> tuple[int, int, float | None]:
    """(failed or rolled back, finished, rate) of the model's deployments in the period."""
    counts = deployments_in_period(model=model, start=start, end=end).aggregate(
        failed=Count("pk", filter=Q(status__in=UNSUCCESSFUL)), finished=Count("pk", filter=Q(status__in=FINISHED))
    )
    return counts["failed"], counts["finished"], _rate(counts["failed"], counts["finished"])


def compute_analysis(*, model: DeploymentModel, start: dt.date, end: dt.date) -> dict:
    """Every figure of the review's analysis as a JSON-able dict; a constant number of queries, none per row."""
    qs = deployments_in_period(model=model, start=start, end=end)
    ids = qs.values("pk")
    counts = qs.aggregate(
        deployments=Count("pk"),
        completed=Count("pk", filter=Q(status=Status.COMPLETED)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        rolled_back=Count("pk", filter=Q(status=Status.ROLLED_BACK)),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
        open=Count("pk", filter=~Q(status__in=[*FINAL, Status.FAILED])),
        with_overrides=Count("pk", filter=Q(override_count__gt=0)),
        # schedule adherence: started at/after the planned start and finished by the planned end
        measured=Count(
            "pk", filter=Q(status=Status.COMPLETED, planned_start__isnull=False, actual_start__isnull=False)
        ),
        on_schedule=Count(
            "pk",
            filter=Q(
                status=Status.COMPLETED,
                actual_start__gte=F("planned_start"),
                actual_end__lte=F("planned_end"),
            ),
        ),
    )
    finished = counts["completed"] + counts["failed"] + counts["rolled_back"]
    failures = list(
        qs.filter(status__in=UNSUCCESSFUL)
        .order_by("-at", "-pk")
        .values("pk", "reference", "title", "status", "environment__name", "at", "outcome")[:MAX_LISTED]
    )
    # withdrawn links were attributed by mistake: they count nowhere
    incidents = IncidentLink.objects.filter(deployment__in=ids, withdrawn_at__isnull=True)
    resolve = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    incident_counts = incidents.aggregate(
        incidents=Count("pk"),
        deployments=Count("deployment", distinct=True),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        resolution_avg=Avg(resolve, filter=Q(resolved_at__isnull=False)),
        resolution_max=Max(resolve, filter=Q(resolved_at__isnull=False)),
    )
    incident_rows = list(
        incidents.order_by("-opened_at").values(
            "incident_ref", "title", "severity", "opened_at", "resolved_at", "deployment_id", "deployment__reference"
        )[:MAX_LISTED]
    )
    lead = ExpressionWrapper(F("actual_end") - F("submitted_at"), output_field=DurationField())
    lead_times = list(
        qs.filter(status=Status.COMPLETED, submitted_at__isnull=False, actual_end__isnull=False)
        .annotate(lead=lead)
        .values_list("lead", flat=True)
    )
    lead_avg = qs.filter(status=Status.COMPLETED, submitted_at__isnull=False, actual_end__isnull=False).aggregate(
        avg=Avg(lead)
    )["avg"]
    ratings = Feedback.objects.filter(deployment__in=ids).aggregate(
        count=Count("pk"), lead_time=Avg("rating_lead_time"), quality=Avg("rating_quality")
    )
    overrides = DeploymentEvent.objects.filter(deployment__in=ids, kind=EventKind.OVERRIDE).count()
    months = (
        qs.annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(
            completed=Count("pk", filter=Q(status=Status.COMPLETED)),
            failed=Count("pk", filter=Q(status__in=UNSUCCESSFUL)),
            other=Count("pk", filter=~Q(status__in=FINISHED)),
        )
        .order_by("month")
    )
    environments = (
        qs.values("environment__name")
        .annotate(total=Count("pk"), failed=Count("pk", filter=Q(status__in=UNSUCCESSFUL)))
        .order_by("-total", "environment__name")
    )
    return {
        "computed_at": timezone.now().isoformat(),
        "model": {"id": model.pk, "name": model.name, "version": model.version},
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        **{key: counts[key] for key in ("deployments", "completed", "failed", "rolled_back", "cancelled", "open")},
        "finished": finished,
        "success_rate": _rate(counts["completed"], finished),
        "failure_rate": _rate(counts["failed"] + counts["rolled_back"], finished),
        "failures": [
            {
                "id": row["pk"],
                "reference": row["reference"],
                "title": row["title"],
                "status": row["status"],
                "environment": row["environment__name"],
                "at": row["at"].isoformat() if row["at"] else None,
                "outcome": (row["outcome"] or "")[:300],
            }
            for row in failures
        ],
        "incidents": incident_counts["incidents"],
        "deployments_with_incidents": incident_counts["deployments"],
        "incident_rate": _rate(incident_counts["deployments"], counts["deployments"] - counts["cancelled"]),
        "incidents_resolved": incident_counts["resolved"],
        "incidents_open": incident_counts["incidents"] - incident_counts["resolved"],
        "incident_resolution_avg_hours": _hours(incident_counts["resolution_avg"]),
        "incident_resolution_max_hours": _hours(incident_counts["resolution_max"]),
        "incident_list": [
            {
                "ref": row["incident_ref"],
                "title": row["title"],
                "severity": row["severity"],
                "opened_at": row["opened_at"].isoformat() if row["opened_at"] else None,
                "resolved": row["resolved_at"] is not None,
                "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
                "hours_to_resolve": _hours(row["resolved_at"] - row["opened_at"])
                if row["resolved_at"] and row["opened_at"]
                else None,
                "deployment_id": row["deployment_id"],
                "deployment_reference": row["deployment__reference"],
            }
            for row in incident_rows
        ],
        "schedule_measured": counts["measured"],
        "on_schedule": counts["on_schedule"],
        "schedule_adherence": _rate(counts["on_schedule"], counts["measured"]),
        "lead_time_count": len(lead_times),
        "lead_time_median_hours": _hours(median(lead_times)) if lead_times else None,
        "lead_time_avg_hours": _hours(lead_avg),
        "overrides": overrides,
        "deployments_with_overrides": counts["with_overrides"],
        "feedback_count": ratings["count"],
        "satisfaction_lead_time": round(ratings["lead_time"], 2) if ratings["lead_time"] is not None else None,
        "satisfaction_quality": round(ratings["quality"], 2) if ratings["quality"] is not None else None,
        "months": [
            {
                "month": row["month"].strftime("%Y-%m"),
                "completed": row["completed"],
                "failed": row["failed"],
                "other": row["other"],
            }
            for row in months
        ],
        "environments": [
            {"name": row["environment__name"], "total": row["total"], "failed": row["failed"]} for row in environments
        ],
    }


def analysis_for(analysis, user) -> dict:
    """The analysis as `user` may read it: the failed deployments and incidents it lists by name are only those of
    deployments the user may see (DESIGN.md §1); the counts stay the model's, over every service using it."""

    if not isinstance(analysis, dict):
        return {}
    q = deployment_visible_q(user)
    if q is None:
        return analysis
    failures = [row for row in analysis.get("failures") or [] if isinstance(row, dict)]
    incidents = [row for row in analysis.get("incident_list") or [] if isinstance(row, dict)]
    ids = {row.get("id") for row in failures} | {row.get("deployment_id") for row in incidents}
    ids.discard(None)
    visible = set(Deployment.objects.filter(q, pk__in=ids).values_list("pk", flat=True)) if ids else set()
    shown = dict(analysis)
    if "failures" in analysis:
        shown["failures"] = [row for row in failures if row.get("id") in visible]
    if "incident_list" in analysis:
        shown["incident_list"] = [row for row in incidents if row.get("deployment_id") in visible]
    return shown


CHART_WIDTH, CHART_HEIGHT, CHART_BOTTOM = 480, 160, 20


def chart_bars(analysis: dict) -> dict:
    """Geometry for the server-drawn SVG chart: stacked bars (completed, failed, other) per month."""
    months = analysis.get("months") or []
    peak = max((m["completed"] + m["failed"] + m["other"] for m in months), default=0)
    if not months or not peak:
        return {"bars": [], "width": CHART_WIDTH, "height": CHART_HEIGHT}
    slot = CHART_WIDTH / len(months)
    bar_width = max(6, min(48, slot * 0.6))
    scale = (CHART_HEIGHT - CHART_BOTTOM - 10) / peak
    bars = []
    for i, month in enumerate(months):
        x = round(i * slot + (slot - bar_width) / 2, 1)
        y = CHART_HEIGHT - CHART_BOTTOM
        segments = []
        for key, colour in (("completed", "#198754"), ("failed", "#dc3545"), ("other", "#adb5bd")):
            height = round(month[key] * scale, 1)
            if height:
                y -= height
                segments.append({"key": key, "y": round(y, 1), "height": height, "fill": colour, "n": month[key]})
        bars.append(
            {
                "x": x,
                "width": round(bar_width, 1),
                "label": month["month"],
                "label_x": round(x + bar_width / 2, 1),
                "segments": segments,
                "total": month["completed"] + month["failed"] + month["other"],
            }
        )
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT, "axis_y": CHART_HEIGHT - CHART_BOTTOM}
