"""Keeps the counts of apps/deployments/models/calendar_days.py: the calendar's day counts (a deployment counts on
every UTC day its planned window overlaps, under its environment and status) and the deployments per status now (the
backlog, per environment and model). The services that create a deployment, change its status or re-plan it apply
the difference of its counts before and after in the same transaction (a statement per table that changes, however
many days); `counts_rebuild` recomputes every row from the deployments (`kpi_rollup_rebuild`, migrations,
bench_seed)."""

import datetime as dt
from collections import Counter

from django.apps import apps as global_apps
from django.db import connection, transaction

from apps.deployments import workflow
from apps.deployments.rollup_keys import ALL

DAYS = ("deployments_deploymentcalendarday", ("day", "environment_id", "status"))
STATUSES = ("deployments_deploymentstatuscount", ("status", "environment_id", "model_id", "service_id"))
PENDING = ("deployments_deploymentpendingcount", ("environment_id", "service_id", "stage_id", "requester_id"))
COUNTED = workflow.BOOKED  # the statuses whose deployments are counted now (DeploymentStatusCount)
FIELDS = (
    "environment_id",
    "model_id",
    "service_id",
    "stage_id",
    "requester_id",
    "status",
    "planned_start",
    "planned_end",
)
CHUNK = 200  # rows per statement


def _utc_day(value: dt.datetime) -> dt.date:
    return value.astimezone(dt.UTC).date()


def calendar_days_of(*, environment_id, status, planned_start, planned_end) -> Counter:
    """{(day, environment key, status): 1} for every UTC day the window overlaps — from the day of its start to the
    day of the last microsecond before its end (a window ending at midnight leaves that day out, as the calendar's
    `planned_start < day end AND planned_end > day start` does) — under its environment and ALL; nothing without a
    start or an end."""
    if planned_start is None or planned_end is None:
        return Counter()
    first, last = _utc_day(planned_start), _utc_day(planned_end - dt.timedelta(microseconds=1))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return Counter({(day, env, status): 1 for day in days for env in (environment_id, ALL)})


def status_counts_of(*, status, environment_id, model_id, service_id) -> Counter:
    """{(status, environment key, model key, service key): 1} of a deployment in a COUNTED status: under its
    environment or ALL, with its model or ALL over every service, and with its service over every model; nothing in
    another status."""
    if status not in COUNTED:
        return Counter()
    keys = [(m, ALL) for m in (model_id or 0, ALL)] + [(ALL, service_id)]
    return Counter({(status, e, m, s): 1 for e in (environment_id, ALL) for m, s in keys})


def pending_counts_of(*, status, environment_id, service_id, stage_id, requester_id) -> Counter:
    """{(environment key, service key, stage key, requester key): 1} of a deployment pending approval: under its
    environment, service, stage (0: none) and requester, under its requester over everything else (ALL), and over
    everything; nothing in another status."""
    if status != workflow.Status.PENDING_APPROVAL:
        return Counter()
    keys = [(environment_id, service_id, stage_id or 0, requester_id), (ALL, ALL, ALL, requester_id), (ALL,) * 4]
    return Counter(dict.fromkeys(keys, 1))


def counts_before(deployment) -> tuple[Counter, Counter, Counter]:
    """The counts `deployment` adds to now (as loaded): give them to `counts_after` after the change."""
    row = {name: getattr(deployment, name) for name in FIELDS}
    pending = ("status", "environment_id", "service_id", "stage_id", "requester_id")
    return (
        calendar_days_of(**{k: row[k] for k in ("environment_id", "status", "planned_start", "planned_end")}),
        status_counts_of(**{k: row[k] for k in ("status", "environment_id", "model_id", "service_id")}),
        pending_counts_of(**{k: row[k] for k in pending}),
    )


def counts_after(deployment, before: tuple[Counter, Counter, Counter]) -> None:
    """Apply the difference between `before` and the counts `deployment` adds to as it is now in memory."""
    for table, now, then in zip((DAYS, STATUSES, PENDING), counts_before(deployment), before, strict=True):
        diff = Counter(now)
        diff.subtract(then)
        counts_apply(table, diff)


def counts_of_new(deployments) -> list[tuple[str, list]]:
    """The statements that count new deployments (their creation: a draft or planned one counts on its days), for
    the caller to run with its inserts (planning's InsertsTogether: on PostgreSQL in the same statement)."""
    days: Counter = Counter()
    statuses: Counter = Counter()
    pending: Counter = Counter()
    for deployment in deployments:
        d, s, p = counts_before(deployment)
        days.update(d)
        statuses.update(s)
        pending.update(p)
    return counts_statements(DAYS, days) + counts_statements(STATUSES, statuses) + counts_statements(PENDING, pending)


def counts_statements(table: tuple[str, tuple], diff: Counter) -> list[tuple[str, list]]:
    """(sql, params) adding `diff` ({key: n}) to the table's rows: one INSERT … ON CONFLICT statement (a chunk of
    CHUNK keys each, for windows of months: SQLite's 999 parameters), in key order, so two writers lock shared rows
    in the same order; a row brought to 0 stays, counting nothing."""
    name, keys = table
    changes = sorted((key, n) for key, n in diff.items() if n)
    adapt = connection.ops.adapt_datefield_value
    columns = ", ".join(keys)
    statements = []
    for i in range(0, len(changes), CHUNK):
        chunk = changes[i : i + CHUNK]
        values = ", ".join([f"({', '.join(['%s'] * (len(keys) + 1))})"] * len(chunk))
        statements.append(
            (
                f"INSERT INTO {name} ({columns}, deployments) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({columns}) DO UPDATE SET deployments = {name}.deployments + EXCLUDED.deployments",
                [adapt(v) if isinstance(v, dt.date) else v for key, n in chunk for v in (*key, n)],
            )
        )
    return statements


def counts_apply(table: tuple[str, tuple], diff: Counter) -> None:
    """Add `diff` to the table's rows (counts_statements)."""
    with connection.cursor() as cursor:
        for sql, params in counts_statements(table, diff):
            cursor.execute(sql, params)


def pending_rebuild(*, apps=global_apps) -> None:
    """Recompute the counts of the deployments pending approval (DeploymentPendingCount) from the deployments."""
    Pending = apps.get_model("deployments", "DeploymentPendingCount")
    Deployment = apps.get_model("deployments", "Deployment")
    Pending.objects.all().delete()
    pending: Counter = Counter()
    rows = Deployment.objects.filter(status=workflow.Status.PENDING_APPROVAL).values_list(
        "environment_id", "service_id", "stage_id", "requester_id"
    )
    for env, service, stage, requester in rows.order_by().iterator(chunk_size=5000):
        pending.update(
            pending_counts_of(
                status=workflow.Status.PENDING_APPROVAL,
                environment_id=env,
                service_id=service,
                stage_id=stage,
                requester_id=requester,
            )
        )
    counts_apply(PENDING, pending)


def counts_rebuild(*, apps=global_apps) -> int:
    """Recompute every row of the three tables from the deployments (the day counts on PostgreSQL by one INSERT …
    SELECT over each window's days; elsewhere in Python, a chunk at a time). Returns the day rows made."""
    Day = apps.get_model("deployments", "DeploymentCalendarDay")
    StatusCount = apps.get_model("deployments", "DeploymentStatusCount")
    Deployment = apps.get_model("deployments", "Deployment")
    with transaction.atomic():
        Day.objects.all().delete()
        StatusCount.objects.all().delete()
        statuses: Counter = Counter()
        rows = Deployment.objects.filter(status__in=COUNTED).values_list(
            "status", "environment_id", "model_id", "service_id"
        )
        for status, env, model, service in rows.order_by().iterator(chunk_size=5000):
            statuses.update(status_counts_of(status=status, environment_id=env, model_id=model, service_id=service))
        counts_apply(STATUSES, statuses)
        if "deploymentpendingcount" in apps.all_models["deployments"]:  # from migration 0027 on
            pending_rebuild(apps=apps)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {DAYS[0]} (day, environment_id, status, deployments) "  # noqa: S608
                    "SELECT g.day::date, e.env, d.status, COUNT(*) "
                    "FROM deployments_deployment d, generate_series("
                    "date_trunc('day', d.planned_start AT TIME ZONE 'UTC'),"
                    " (d.planned_end - interval '1 microsecond') AT TIME ZONE 'UTC', interval '1 day') AS g(day), "
                    f"LATERAL (VALUES (d.environment_id), ({ALL})) AS e(env) "
                    "WHERE d.planned_start IS NOT NULL AND d.planned_end IS NOT NULL "
                    "GROUP BY 1, 2, 3"
                )
        else:
            days: Counter = Counter()
            windows = Deployment.objects.filter(planned_start__isnull=False, planned_end__isnull=False)
            for env, status, start, end in (
                windows.values_list("environment_id", "status", "planned_start", "planned_end")
                .order_by()
                .iterator(chunk_size=5000)
            ):
                days.update(calendar_days_of(environment_id=env, status=status, planned_start=start, planned_end=end))
            Day.objects.bulk_create(
                [Day(day=d, environment_id=e, status=s, deployments=n) for (d, e, s), n in days.items()],
                batch_size=5000,
            )
        return Day.objects.count()
