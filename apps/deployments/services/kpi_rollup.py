"""Keeps the KPI daily rollup (DeploymentDailyRollup): every service that changes what a KPI counts — a status, a
plan, an incident link, a rating — takes the deployment's contribution before and after the change and applies
the difference to the daily rows and to the week, month and year rows in the same transaction;
kpi_rollup_rebuild.py recomputes every row from the deployments (the migrations, `manage.py kpi_rollup_rebuild`,
bench_seed and the demo after bulk loads).

Both paths compute a deployment's contribution with the one function `contribution`, from the same facts."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.sketch import sketch_add, sketch_of, sketch_quantiles

S = workflow.Status
BATCH = 5000
# a sketch's JSON from its buckets (k, n, t): written as text and parsed once, several times faster than
# jsonb_object_agg over many small groups
SKETCH_TEXT_AGG = "('{' || string_agg('\"' || k || '\":[' || n || ',' || t || ']', ',') || '}')::jsonb"
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
    "released_at",
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
    "rate_n",
    "rate_sum",
    "alignment_n",
    "alignment_sum",
    "release_n",
    "planned",
    "overrides",
)
SKETCHES = ("lead_sketch", "restore_sketch", "release_sketch")
SKETCH_COUNTS = {"lead_sketch": "lead_n", "restore_sketch": "restore_n", "release_sketch": "release_n"}


FEEDBACK_SUMS = {
    "n": Count("pk"),
    "lead": Sum("rating_lead_time"),
    "q": Sum("rating_quality"),
    "rate_n": Count("rating_rate_of_change"),
    "rate": Sum("rating_rate_of_change"),
}
ALIGNMENT_SUMS = {"n": Count("pk"), "total": Sum("rating")}


@dataclass
class Facts:
    """What a deployment's contribution depends on: its row, its standing incident links (opened, resolved), its
    ratings (count, lead time sum, quality sum, rate-of-change count and sum), its answered alignment ratings
    (count, sum) and when it was rolled back."""

    row: dict
    incidents: list = field(default_factory=list)
    feedback: tuple = (0, 0, 0, 0, 0)
    rolled_back_at: dt.datetime | None = None
    alignment: tuple = (0, 0)


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
        n, lead_sum, quality_sum, rate_n, rate_sum = facts.feedback
        if n:
            c.update(feedback_n=n, feedback_lead_sum=lead_sum, feedback_quality_sum=quality_sum)
        if rate_n:
            c.update(rate_n=rate_n, rate_sum=rate_sum)
        if facts.alignment[0]:
            c.update(alignment_n=facts.alignment[0], alignment_sum=facts.alignment[1])
        if completed and row["released_at"] is not None:
            c["release_n"] = 1
            c["release_sketch"] = sketch_of([_seconds(row["released_at"], end)])
        parts[_key(local_day(end), row)] = c
    if status not in workflow.NOT_PLANNED and row["planned_start"] is not None:
        key = _key(local_day(row["planned_start"]), row)
        c = parts.setdefault(key, {})
        c["planned"] = 1
        c["overrides"] = row["override_count"] or 0
    return parts


def merge_part(into: dict, part: dict, sign: int = 1) -> None:
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
        merge_part(d, after.get(key, {}))
        merge_part(d, before.get(key, {}), -1)
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
    fb = deployment.feedback.order_by().aggregate(**FEEDBACK_SUMS)
    facts.feedback = (fb["n"], fb["lead"] or 0, fb["q"] or 0, fb["rate_n"], fb["rate"] or 0)
    al = deployment.alignment.filter(answered_at__isnull=False).order_by().aggregate(**ALIGNMENT_SUMS)
    facts.alignment = (al["n"], al["total"] or 0)
    if row["status"] == S.ROLLED_BACK:
        facts.rolled_back_at = (
            DeploymentEvent.objects.filter(deployment=deployment, to_status=S.ROLLED_BACK)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
    return facts


DAILY_KEY = ("day", "environment_id", "service_id", "model_id", "supplier_id")
PERIOD_KEY = ("grain", "start", "environment_id", "model_id")
CUT_KEY = ("cut", "cut_id", "environment_id", "model_id", "day")


def period_starts(day: dt.date) -> dict[str, dt.date]:
    """The first day of the day, week (Monday), month and year `day` falls in, by grain."""
    return {
        "D": day,
        "W": day - dt.timedelta(days=day.weekday()),
        "M": day.replace(day=1),
        "Y": day.replace(month=1, day=1),
    }


def next_period_start(start: dt.date, grain: str) -> dt.date:
    """The first day of the period of `grain` after the one starting on `start`."""
    if grain == "D":
        return start + dt.timedelta(days=1)
    if grain == "W":
        return start + dt.timedelta(days=7)
    if grain == "M":
        return dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return dt.date(start.year + 1, 1, 1)


def period_difference(diff: dict[tuple, dict], levels: dict[int, str | None] | None = None) -> dict[tuple, dict]:
    """The daily difference `diff` carried to the period rows: each day's to its day, week, month and year, per
    environment and model, every environment (ALL), every model (ALL), the models of each automation level its model
    is filed under (`levels`: {model id: filed level}) and both; keys where it adds up to nothing are left out."""
    from apps.deployments.models import ALL, level_keys

    levels = levels or {}
    periods: dict[tuple, dict] = {}
    for (day, env, _svc, model, _supplier), part in diff.items():
        models = (model, ALL, *level_keys(levels.get(model)))
        for grain, start in period_starts(day).items():
            for e in (env, ALL):
                for m in models:
                    merge_part(periods.setdefault((grain, start, e, m), {}), part)
    return {key: d for key, d in periods.items() if any(v for v in d.values())}


def cut_difference(diff: dict[tuple, dict]) -> dict[tuple, dict]:
    """The daily difference `diff` carried to the cut rows (DeploymentCutRollup): each day's to its service and to
    its supplier (none for a deployment without one), per environment and model, every environment (ALL), every
    model (ALL) and both; keys where it adds up to nothing are left out."""
    from apps.deployments.models import ALL, Cut

    cuts: dict[tuple, dict] = {}
    for (day, env, service, model, supplier), part in diff.items():
        for cut, cut_id in ((Cut.SERVICE, service), (Cut.SUPPLIER, supplier)):
            if not cut_id:
                continue
            for e in (env, ALL):
                for m in (model, ALL):
                    merge_part(cuts.setdefault((str(cut), cut_id, e, m, day), {}), part)
    return {key: d for key, d in cuts.items() if any(v for v in d.values())}


def lead_median(sketch: dict) -> float | None:
    """A row's stored lead time median: what sketch_quantiles reads from its sketch."""
    return sketch_quantiles(sketch or {}, (0.5,))[1].get(0.5)


def _add_rows(model, key_fields: tuple, diff: dict[tuple, dict], annotate: dict | None = None) -> list:
    """Add `diff` into `model`'s rows in a constant number of queries, whatever the number of keys: the missing rows
    made (a conflict with a row another writer made is left alone), every row locked in key order (with `annotate`
    read beside), the changed ones written back in one UPDATE and the ones left with nothing deleted. A period row's
    lead time median follows its sketch. Returns the locked rows."""
    if not diff:
        return []
    keys = sorted(diff)
    model.objects.bulk_create([model(**dict(zip(key_fields, k, strict=True))) for k in keys], ignore_conflicts=True)
    wanted = Q()
    for k in keys:
        wanted |= Q(**dict(zip(key_fields, k, strict=True)))
    locked = model.objects.select_for_update(of=("self",)).filter(wanted).order_by(*key_fields)
    if annotate:
        locked = locked.annotate(**annotate)
    rows = {tuple(getattr(row, name) for name in key_fields): row for row in locked}
    medians = hasattr(model, "lead_median")
    fields = [*COUNTERS, *SKETCHES, *(["lead_median"] if medians else [])]
    kept, emptied = [], []
    for k in keys:
        row = rows[k]
        for name, value in diff[k].items():
            if name in SKETCHES:
                setattr(row, name, sketch_add(dict(getattr(row, name) or {}), value))
            else:
                setattr(row, name, getattr(row, name) + value)
        if medians and "lead_sketch" in diff[k]:
            row.lead_median = lead_median(row.lead_sketch)
        (kept if any(getattr(row, name) for name in (*COUNTERS, *SKETCHES)) else emptied).append(row)
    if kept:
        model.objects.bulk_update(kept, fields)
    if emptied:
        model.objects.filter(pk__in=[row.pk for row in emptied]).delete()
    return list(rows.values())


def _filed_levels(daily_rows: list) -> dict[int, str | None]:
    """{model id: the level its contributions are filed under} for the models of the locked daily rows (read with
    them); a model written for the first time is filed under its current level (two more queries, once per model;
    a conflict with another writer filing it first leaves theirs, read back)."""
    from apps.deployments.models import RollupModelLevel

    levels = {row.model_id: row._filed for row in daily_rows if row.model_id}
    new = {row.model_id: row._now for row in daily_rows if row.model_id and row._filed is None and row._now}
    if new:
        RollupModelLevel.objects.bulk_create(
            [RollupModelLevel(model_id=m, automation_level=level) for m, level in sorted(new.items())],
            ignore_conflicts=True,
        )
        levels.update(RollupModelLevel.objects.filter(model_id__in=new).values_list("model_id", "automation_level"))
    return levels


def rollup_apply(diff: dict[tuple, dict]) -> None:
    """Add `diff` into the daily rows, into the day, week, month and year rows they add up to and into the rows per
    service and supplier (the cuts), locking every row in one order — the daily rows by key, then the period rows,
    then the cut rows — so two writers never deadlock, and a writer
    waits for the other's rows instead of counting over them; a row left with nothing in it is deleted, so the
    rollups hold exactly the rows a rebuild makes."""
    from apps.deployment_models.models import DeploymentModel
    from apps.deployments.models import (
        DeploymentCutRollup,
        DeploymentDailyRollup,
        DeploymentPeriodRollup,
        RollupModelLevel,
    )

    filed = {
        "_filed": Subquery(RollupModelLevel.objects.filter(model_id=OuterRef("model_id")).values("automation_level")),
        "_now": Subquery(DeploymentModel.objects.filter(pk=OuterRef("model_id")).values("automation_level")),
    }
    with transaction.atomic():
        daily = _add_rows(DeploymentDailyRollup, DAILY_KEY, diff, annotate=filed)
        _add_rows(DeploymentPeriodRollup, PERIOD_KEY, period_difference(diff, _filed_levels(daily)))
        _add_rows(DeploymentCutRollup, CUT_KEY, cut_difference(diff))


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
