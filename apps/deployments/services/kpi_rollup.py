"""Keeps the KPI daily rollup (DeploymentDailyRollup): every service that changes what a KPI counts — a status, a
plan, an incident link, a rating — takes the deployment's contribution before and after the change and applies
the difference in the same transaction; `kpi_rollup_rebuild` recomputes every row from the deployments (the
migration, `manage.py kpi_rollup_rebuild`, bench_seed and the demo after bulk loads).

Both paths compute a deployment's contribution with the one function `contribution`, from the same facts."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.sketch import sketch_add, sketch_of

S = workflow.Status
BATCH = 5000
DEPLOYMENT_FIELDS = (
    "pk",
    "status",
    "environment_id",
    "service_id",
    "model_id",
    "supplier_id",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "submitted_at",
    "override_count",
)
COUNTERS = (
    "finished",
    "completed",
    "failed",
    "with_incidents",
    "change_failures",
    "on_schedule",
    "lead_n",
    "restore_failures",
    "restore_n",
    "feedback_n",
    "feedback_lead_sum",
    "feedback_quality_sum",
    "planned",
    "overrides",
)
SKETCHES = ("lead_sketch", "restore_sketch")


@dataclass
class Facts:
    """What a deployment's contribution depends on: its row, its standing incident links (opened, resolved), its
    ratings (count, lead time sum, quality sum) and when it was rolled back."""

    row: dict
    incidents: list = field(default_factory=list)
    feedback: tuple = (0, 0, 0)
    rolled_back_at: dt.datetime | None = None


def local_day(value: dt.datetime) -> dt.date:
    """The day a time falls on in the server's time zone (the KPIs' periods are days of that zone)."""
    if not timezone.is_aware(value):
        return value.date()
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def _key(day, row) -> tuple:
    return (day, row["environment_id"], row["service_id"], row["model_id"] or 0, row["supplier_id"] or 0)


def _seconds(end, start) -> float:
    return (end - start).total_seconds()


def contribution(facts: Facts) -> dict[tuple, dict]:
    """{rollup key: {counter: n, sketch: {bucket: n}}} of one deployment; empty for drafts and cancelled ones."""
    row = facts.row
    status = row["status"]
    parts: dict[tuple, dict] = {}
    if status in workflow.FINISHED and row["actual_end"] is not None:
        end = row["actual_end"]
        completed = status == S.COMPLETED
        failed = status in workflow.UNSUCCESSFUL
        incidents = bool(facts.incidents)
        start, p_start, p_end = row["actual_start"], row["planned_start"], row["planned_end"]
        on_time = None not in (start, p_start, p_end) and start >= p_start and end <= p_end
        c = {
            "finished": 1,
            "completed": int(completed),
            "failed": int(failed),
            "with_incidents": int(incidents),
            "change_failures": int(failed or incidents),
            "on_schedule": int(on_time),
        }
        if completed and row["submitted_at"] is not None:
            c["lead_n"] = 1
            c["lead_sketch"] = sketch_of([_seconds(end, row["submitted_at"])])
        restores = [_seconds(resolved, opened) for opened, resolved in facts.incidents if resolved is not None]
        if status == S.ROLLED_BACK and facts.rolled_back_at is not None:
            restores.append(max(_seconds(facts.rolled_back_at, end), 0.0))
        c["restore_failures"] = int(failed) + len(facts.incidents)
        if restores:
            c["restore_n"] = len(restores)
            c["restore_sketch"] = sketch_of(restores)
        n, lead_sum, quality_sum = facts.feedback
        if n:
            c.update(feedback_n=n, feedback_lead_sum=lead_sum, feedback_quality_sum=quality_sum)
        parts[_key(local_day(end), row)] = c
    if status not in workflow.NOT_PLANNED and row["planned_start"] is not None:
        key = _key(local_day(row["planned_start"]), row)
        c = parts.setdefault(key, {})
        c["planned"] = 1
        c["overrides"] = row["override_count"] or 0
    return parts


def _merge(into: dict, part: dict, sign: int = 1) -> None:
    for name, value in part.items():
        if name in SKETCHES:
            sketch_add(into.setdefault(name, {}), value, sign)
        else:
            into[name] = into.get(name, 0) + sign * value


def difference(before: dict, after: dict) -> dict[tuple, dict]:
    """after − before, key by key, leaving out keys where nothing changed."""
    diff: dict[tuple, dict] = {}
    for key in before.keys() | after.keys():
        d: dict = {}
        _merge(d, after.get(key, {}))
        _merge(d, before.get(key, {}), -1)
        if any(v for v in d.values()):
            diff[key] = d
    return diff


# --- facts of one deployment (the services) ------------------------------------------------------------------


def facts_of(deployment) -> Facts:
    """The facts of one deployment as it is in memory now; its links, ratings and roll-back are read only once it
    has finished (zero queries before that)."""
    from apps.deployments.models import DeploymentEvent

    row = {name: getattr(deployment, name) for name in DEPLOYMENT_FIELDS}
    facts = Facts(row)
    if row["status"] not in workflow.FINISHED or deployment.pk is None:
        return facts
    facts.incidents = list(
        deployment.incidents.filter(withdrawn_at__isnull=True).order_by().values_list("opened_at", "resolved_at")
    )
    fb = deployment.feedback.order_by().aggregate(n=Count("pk"), lead=Sum("rating_lead_time"), q=Sum("rating_quality"))
    facts.feedback = (fb["n"], fb["lead"] or 0, fb["q"] or 0)
    if row["status"] == S.ROLLED_BACK:
        facts.rolled_back_at = (
            DeploymentEvent.objects.filter(deployment=deployment, to_status=S.ROLLED_BACK)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
    return facts


def rollup_apply(diff: dict[tuple, dict]) -> None:
    """Add `diff` into the rollup rows, locking them in key order (no deadlock between two writers); a row left
    with nothing in it is deleted, so the rollup holds exactly the rows a rebuild makes."""
    from apps.deployments.models import DeploymentDailyRollup

    for key in sorted(diff):
        day, env, svc, model, supplier = key
        with transaction.atomic():
            row, _ = DeploymentDailyRollup.objects.select_for_update().get_or_create(
                day=day, environment_id=env, service_id=svc, model_id=model, supplier_id=supplier
            )
            for name, value in diff[key].items():
                if name in SKETCHES:
                    setattr(row, name, sketch_add(dict(getattr(row, name) or {}), value))
                else:
                    setattr(row, name, getattr(row, name) + value)
            if any(getattr(row, name) for name in (*COUNTERS, *SKETCHES)):
                row.save()
            else:
                row.delete()


def rollup_before(deployment) -> dict:
    """The contribution of `deployment` (locked by the caller) before a change; give it to `rollup_after`."""
    return contribution(facts_of(deployment))


def rollup_after(deployment, before: dict) -> None:
    """Apply the difference between `before` and the contribution of `deployment` as it is now in memory."""
    diff = difference(before, contribution(facts_of(deployment)))
    if diff:
        rollup_apply(diff)


@contextmanager
def rollup_kept(deployment):
    """Around a change of `deployment`'s links or ratings (the row itself locked by the caller): its contribution
    before, then the difference to its contribution after, applied in the same transaction. The deployment's row
    is locked first, so two changes of one deployment's links or ratings (or a transition) take turns and neither
    counts the other's."""
    from apps.deployments.models import Deployment

    fields = [f for f in DEPLOYMENT_FIELDS if f != "pk"]
    locked = Deployment.objects.select_for_update(of=("self",)).only(*fields).get(pk=deployment.pk)
    before = rollup_before(locked)
    yield
    rollup_after(locked, before)


# --- the rebuild ---------------------------------------------------------------------------------------------


def kpi_rollup_rebuild(*, apps=global_apps) -> int:
    """Recompute every rollup row from the deployments, their links, ratings and roll-back events (a pass over
    each table, the contributions computed by `contribution`); returns the rows made."""
    Deployment = apps.get_model("deployments", "Deployment")
    IncidentLink = apps.get_model("deployments", "IncidentLink")
    Feedback = apps.get_model("deployments", "Feedback")
    DeploymentEvent = apps.get_model("deployments", "DeploymentEvent")
    Rollup = apps.get_model("deployments", "DeploymentDailyRollup")
    finished = Deployment.objects.filter(status__in=workflow.FINISHED).order_by()
    incidents: dict[int, list] = {}
    links = IncidentLink.objects.filter(withdrawn_at__isnull=True, deployment__in=finished.values("pk")).order_by()
    for dep_id, opened, resolved in links.values_list("deployment_id", "opened_at", "resolved_at").iterator(BATCH):
        incidents.setdefault(dep_id, []).append((opened, resolved))
    feedback = {
        r["deployment_id"]: (r["n"], r["lead"], r["q"])
        for r in Feedback.objects.filter(deployment__in=finished.values("pk"))
        .order_by()
        .values("deployment_id")
        .annotate(n=Count("pk"), lead=Sum("rating_lead_time"), q=Sum("rating_quality"))
    }
    rolled_back = {}
    events = DeploymentEvent.objects.filter(to_status=S.ROLLED_BACK).order_by("at", "pk")
    for dep_id, at in events.values_list("deployment_id", "at").iterator(BATCH):
        rolled_back[dep_id] = at  # the latest wins
    rows: dict[tuple, dict] = {}
    counted = Deployment.objects.exclude(status=S.DRAFT).exclude(status=S.CANCELLED).order_by()
    for values in counted.values_list(*DEPLOYMENT_FIELDS).iterator(BATCH):
        row = dict(zip(DEPLOYMENT_FIELDS, values, strict=True))
        pk = row["pk"]
        facts = Facts(row, incidents.get(pk, []), feedback.get(pk, (0, 0, 0)), rolled_back.get(pk))
        for key, part in contribution(facts).items():
            _merge(rows.setdefault(key, {}), part)
    made = [
        Rollup(day=k[0], environment_id=k[1], service_id=k[2], model_id=k[3], supplier_id=k[4], **v)
        for k, v in rows.items()
        if any(v.values())
    ]
    with transaction.atomic():
        Rollup.objects.all().delete()
        Rollup.objects.bulk_create(made, batch_size=BATCH)
    return len(made)
