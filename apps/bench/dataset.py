"""History generator: the DESIGN.md §7 benchmark data set (ten years of deployments over its own reference data)
and the demo's year of history (over the demo's environments, services, models and users), deterministic by seed.

Reference data goes in with the ORM (or is read from the database); deployments and everything hanging off them
are generated in chunks and loaded with COPY (PostgreSQL), so a million deployments load in minutes with bounded
memory.
"""

import bisect
import datetime as dt
import itertools
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from apps.bench import dataset_sql, rollups_sql
from apps.bench.loader import IndexesDropped, bulk_load_session, copy_text, in_order, next_id, reset_sequence
from apps.bench.reference import Progress, Sizes, make_reference_data
from apps.bench.seed_rollups import DailyRows, add_deployment
from apps.bench.shapes import (
    A_COLS,
    ACCEPTANCE,
    BACK_OUT,
    C_COLS,
    D_COLS,
    E_COLS,
    F_COLS,
    FINAL_MIX,
    FINISHED_WITHIN,
    FUTURE_MIX,
    I_COLS,
    ROLLED_BACK_AFTER,
    TRIGGERS,
)
from apps.deployments.models import (
    Approval,
    Check,
    Deployment,
    DeploymentDailyRollup,
    DeploymentEvent,
    Feedback,
    IncidentLink,
)
from apps.deployments.services.kpi_rollup import DEPLOYMENT_FIELDS, local_day
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind


def _weighted(population: list, weights: list) -> Callable[[random.Random], object]:
    """A draw of one of `population` by `weights`: what `rng.choices(population, weights)[0]` draws (the same single
    `random()`), with the cumulative weights added up once instead of at every draw."""
    cum = list(itertools.accumulate(weights))
    total, hi = cum[-1] + 0.0, len(cum) - 1
    return lambda rng: population[bisect.bisect(cum, rng.random() * total, 0, hi)]


def _mix(mix) -> Callable[[random.Random], object]:
    return _weighted([s for s, _ in mix], [w for _, w in mix])


_FINAL, _FUTURE = _mix(FINAL_MIX), _mix(FUTURE_MIX)


N = "\\N"


def _t(value) -> str:
    return N if value is None else str(value)


_REF: dict = {}  # plain reference data for the generator processes (inherited by fork, never touches the DB)
TABLES = ("deployments", "versions", "practitioners", "events", "checks", "approvals", "incidents", "feedback")


def _plain_reference(ref: dict, sizes: Sizes, seed: int, rollups: bool) -> dict:
    now = timezone.now().replace(microsecond=0)
    span = dt.timedelta(days=365 * sizes.years)
    return {
        "seed": seed,
        "total": sizes.deployments,
        "now": now,
        "first": now - span + dt.timedelta(days=sizes.days_ahead),
        "step": span / sizes.deployments,
        "envs": [(e.pk, e.kind) for e in ref["envs"]],
        "env_weights": [
            3 if e.kind == EnvironmentKind.PRODUCTION else 2 if e.kind == EnvironmentKind.STAGING else 1
            for e in ref["envs"]
        ],
        "services": [(s.pk, s.name) for s in ref["services"]],
        "models": [m.pk for m in ref["models"]],
        "stage_by": ref["stage_by"],
        "stage_criteria": ref.get("stage_criteria", {}),
        "versions_by_service": ref["versions_by_service"],
        "requesters": ref["requesters"],
        "managers": ref["managers"],
        "practitioners": ref["practitioners"],
        "dep_id": ref["dep_id"],
        "event_id": ref["event_id"],
        "rollups": rollups,
    }


def _chunk(args: tuple[int, int, int]) -> tuple[int, dict[str, list[str]]]:
    """Generate the rows of deployments [lo, hi) as COPY text; seeded per chunk, so the result is the same
    whatever process makes it. The n-th event of the i-th deployment has id first event id + i × 10 + n, so chunks
    need no coordination (and existing events, such as the demo's showcase, keep theirs)."""
    index, lo, hi = args
    r = _REF
    rng = random.Random(f"{r['seed']}-{index}")  # noqa: S311 (deterministic test data, not security)
    out: dict = {t: [] for t in TABLES}
    out["rollup"] = rollup = {}  # the KPI daily rows of these deployments (seed_rollups), if the generator keeps them
    deps, dvs, dps, events = out["deployments"], out["versions"], out["practitioners"], out["events"]
    checks, approvals, incidents, feedback = out["checks"], out["approvals"], out["incidents"], out["feedback"]
    pick_env, services, models_ = _weighted(r["envs"], r["env_weights"]), r["services"], r["models"]
    requesters, managers, practitioners = r["requesters"], r["managers"], r["practitioners"]
    now, first, step = r["now"], r["first"], r["step"]
    out["horizon"] = local_day(first + step * hi) - dt.timedelta(days=1) if r["rollups"] else None
    for i in range(lo, hi):
        pk = r["dep_id"] + i
        start = (first + step * i + dt.timedelta(minutes=rng.randint(0, 240))).replace(second=0, microsecond=0)
        end = start + dt.timedelta(minutes=rng.choice((30, 60, 90, 120, 240)))
        env_pk, _kind = pick_env(rng)
        service_pk, service_name = services[rng.randrange(len(services))]
        model_pk = models_[rng.randrange(len(models_))] if models_ and rng.random() < 0.92 else None
        stage_id = r["stage_by"].get((model_pk, env_pk)) if model_pk else None
        requester = requesters[rng.randrange(len(requesters))]
        manager = managers[rng.randrange(len(managers))]
        practitioner = practitioners[rng.randrange(len(practitioners))]
        # a deployment whose work could still be going on (up to 7.2 hours after its start) is not yet done
        status = _FUTURE(rng) if start + FINISHED_WITHIN > now else _FINAL(rng)
        created = start - dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        submitted = created + dt.timedelta(hours=rng.randint(1, 48)) if status != Status.DRAFT else None
        approved = (
            submitted + dt.timedelta(hours=rng.randint(1, 72))
            if status not in (Status.DRAFT, Status.PENDING_APPROVAL, Status.REJECTED)
            and not (status == Status.CANCELLED and rng.random() < 0.5)
            else None
        )
        executed = status in (Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK)
        incident = rating = None
        late = rng.random() < 0.12
        a_start = start + dt.timedelta(minutes=rng.randint(0, 30) + (90 if late else 0)) if executed else None
        a_end = a_start + (end - start) * rng.uniform(0.5, 1.3) if executed else None
        version_pk, _comp = rng.choice(r["versions_by_service"].get(service_pk) or [(None, None)])
        action = "remove" if rng.random() < 0.03 else "deploy"
        outcome = "Failed verification" if status in (Status.FAILED, Status.ROLLED_BACK) else ""
        override = 1 if rng.random() < 0.01 else 0
        title = f"Release {rng.randint(1, 40)}.{rng.randint(0, 20)} of {service_name}"
        # six in seven completed deployments released to users within three days (no draw: the stream stays as it was)
        released = (
            a_end + dt.timedelta(minutes=(pk * 7919) % 4320)
            if status == Status.COMPLETED and action == "deploy" and pk % 7
            else None
        )
        released = released if released is None or released < now else None
        deps.append(
            f"{pk}\tDEP-{pk:06d}\t{title}\t{action}\t{TRIGGERS[rng.randrange(len(TRIGGERS))]}\t"
            f"{_t(model_pk)}\t{_t(stage_id)}\t{service_pk}\t{env_pk}\tCHG{pk:07d}\t"
            f"REL{pk // 7:06d}\t{requester}\t{manager}\t{N}\t{start}\t{end}\t{_t(a_start)}\t{_t(a_end)}\t"
            f"{status}\t{outcome}\t\t{ACCEPTANCE}\tf\t\t{override}\t\t{_t(submitted)}\t{_t(approved)}\t1\t{created}\t"
            f"{a_end or approved or created}\t{BACK_OUT if model_pk else ''}\t{_t(released)}\t[]\t\n"
        )
        if version_pk:
            dvs.append(f"{pk}\t{version_pk}\n")
        dps.append(f"{pk}\t{practitioner}\n")
        channel = "web" if rng.random() < 0.7 else "api"
        ev = [(created, "created", "", Status.DRAFT, requester, "")]
        if submitted:
            ev.append((submitted, "transition", Status.DRAFT, Status.PENDING_APPROVAL, requester, ""))
        if approved:
            ev.append((approved, "transition", Status.PENDING_APPROVAL, Status.APPROVED, manager, ""))
            approvals.append(f"{pk}\t{manager}\tmanager\tapproved\t\t{approved}\tf\n")
        if status == Status.REJECTED:
            ev.append(
                (
                    submitted + dt.timedelta(hours=2),
                    "transition",
                    Status.PENDING_APPROVAL,
                    Status.REJECTED,
                    manager,
                    "Not in this window",
                )
            )
        if status == Status.CANCELLED:
            before = Status.APPROVED if approved else Status.PENDING_APPROVAL
            ev.append((start - dt.timedelta(hours=1), "transition", before, Status.CANCELLED, requester, "Not needed"))
        if executed:
            ev.append((a_start, "transition", Status.APPROVED, Status.VERIFYING_COMPONENTS, practitioner, ""))
            final_to = Status.COMPLETED if status == Status.COMPLETED else Status.FAILED
            ev.append((a_end, "transition", Status.VERIFYING, final_to, practitioner, outcome))
            if status == Status.ROLLED_BACK:
                ev.append(
                    (
                        a_end + ROLLED_BACK_AFTER,
                        "transition",
                        Status.FAILED,
                        Status.ROLLED_BACK,
                        practitioner,
                        "Restored previous version",
                    )
                )
            ok = "pass" if status == Status.COMPLETED else "fail"
            checks.append(
                f"{pk}\tcomponent\tVerify integrity against its SHA-256 checksum\tpass\tbench\t"
                f"{_t(version_pk)}\t\tt\t{practitioner}\t{a_start}\n"
            )
            checks.append(f"{pk}\tenvironment\tMonitoring in place\t{ok}\tbench\t{N}\t\tt\t{practitioner}\t{a_start}\n")
            # the evidence rules: every passed check carries its evidence; a failed deployment never reached its
            # acceptance and exit checks
            entry, exit_ = r["stage_criteria"].get(stage_id, ((), ()))
            done = status == Status.COMPLETED
            for kind, description, result, at in (
                *(("entry", line, "pass", a_start) for line in entry),
                ("acceptance", ACCEPTANCE, "pass" if done else "pending", a_end),
                *(("exit", line, "pass" if done else "pending", a_end) for line in exit_),
            ):
                recorded = (practitioner, at, "Verified during the deployment.") if result == "pass" else (N, N, "")
                checks.append(
                    f"{pk}\t{kind}\t{description}\t{result}\t{recorded[2]}\t{N}\t\tt\t{recorded[0]}\t{recorded[1]}\n"
                )
            if rng.random() < 0.04:
                # opened three hours after the deployment ended, resolved 1 to 12 hours later
                opened = a_end + dt.timedelta(hours=3)
                resolved = opened + dt.timedelta(hours=1 + pk % 12)
                incident = (opened, resolved)
                incidents.append(f"{pk}\tINC{pk:07d}\tDegradation\tmedium\t{opened}\t{resolved}\t{practitioner}\t\n")
            if status == Status.COMPLETED and rng.random() < 0.15:
                rating = (rng.randint(2, 5), rng.randint(2, 5))
                feedback.append(f"{pk}\t{requester}\t{rating[0]}\t{rating[1]}\t\t{a_end + dt.timedelta(days=1)}\n")
        if r["rollups"]:
            fields = (pk, status, env_pk, service_pk, model_pk, None, start, end, a_start, a_end, submitted, override)
            row = dict(zip(DEPLOYMENT_FIELDS, (*fields, released), strict=True))
            back = a_end + ROLLED_BACK_AFTER if status == Status.ROLLED_BACK else None
            add_deployment(rollup, row, incident, rating, back)
        ev0 = r["event_id"] + i * 10
        for n, (at, kind, frm, to, actor, comment) in enumerate(ev):
            events.append(f"{ev0 + n}\t{pk}\t{at}\t{actor}\t{channel}\t\t{kind}\t{frm}\t{to}\t{comment}\t{{}}\n")
    return hi - lo, out


def _load(out: dict[str, list[str]], counts: dict) -> None:
    with transaction.atomic():
        counts["deployments"] += copy_text(Deployment, D_COLS, out["deployments"])
        counts["versions"] += copy_text(
            Deployment.component_versions.through, ["deployment_id", "componentversion_id"], out["versions"]
        )
        counts["practitioners"] += copy_text(
            Deployment.practitioners.through, ["deployment_id", "user_id"], out["practitioners"]
        )
        counts["events"] += copy_text(DeploymentEvent, E_COLS, out["events"])
        counts["checks"] += copy_text(Check, C_COLS, out["checks"])
        counts["approvals"] += copy_text(Approval, A_COLS, out["approvals"])
        counts["incidents"] += copy_text(IncidentLink, I_COLS, out["incidents"])
        counts["feedback"] += copy_text(Feedback, F_COLS, out["feedback"])


def _load_chunks(sizes: Sizes, chunk: int, processes: int, counts: dict, progress: Progress, out) -> None:
    """Generate the rows in Python chunks (in `processes` forked processes on PostgreSQL) and load each as it comes,
    with the KPI daily rows the chunks hand back (their periods added up as their days are written)."""
    daily = DailyRows()
    jobs = [(k, lo, min(lo + chunk, sizes.deployments)) for k, lo in enumerate(range(0, sizes.deployments, chunk))]
    forked = processes if connection.vendor == "postgresql" else 0
    with in_order(_chunk, jobs, forked) as chunks:
        for n, rows in chunks:
            _load(rows, counts)
            counts["kpi_rollup_rows"] += daily.take(rows["rollup"], rows["horizon"])
            progress.update(n)
    loaded_at = time.monotonic()
    counts["kpi_rollup_rows"] += daily.close()
    progress.close()
    out.write(f"KPI period rows added up {time.monotonic() - loaded_at:.1f} s after the last chunk\n")


def _load_in_sql(sizes: Sizes, chunk: int, counts: dict, progress: Progress, rollups: bool, out) -> None:
    """Make every row in the database (`dataset_sql`), then the KPI rollups from them (`rollups_sql`)."""
    loading_at = time.monotonic()
    dataset_sql.load_all(dataset_sql.sql_params(_REF), sizes.deployments, counts, progress, batch=chunk)
    progress.close()
    out.write(f"deployments and their rows: {time.monotonic() - loading_at:.1f} s\n")
    if rollups:
        rollups_at = time.monotonic()
        counts["kpi_rollup_rows"] = rollups_sql.rollups_make(_REF, sizes.deployments, dataset_sql.in_thread, out=out)
        out.write(f"KPI daily and period rows: {time.monotonic() - rollups_at:.1f} s\n")


def _statistics_and_snapshot(counts: dict, bulk: bool) -> None:
    """After the load: the planner's statistics, the VACUUM the index-only scans need, and the what-is-where
    snapshot."""
    from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild

    if connection.vendor == "postgresql" and bulk:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            # the load committed asynchronously (`bulk_session`): VACUUM marks a page all-visible only once its rows'
            # commits are flushed, so ANALYZE's own commits, synchronous again, flush them first
            cursor.execute("RESET synchronous_commit")
            cursor.execute("ANALYZE")
            if not connection.in_atomic_block:  # VACUUM runs only outside a transaction
                # the register, its exports and counts read these by index-only scans, which fetch every row from the
                # table until a VACUUM has marked its pages all-visible (what autovacuum does on a server it runs on)
                vacuumed = (Deployment, Deployment.component_versions.through, Deployment.practitioners.through)
                cursor.execute(f"VACUUM {', '.join(connection.ops.quote_name(m._meta.db_table) for m in vacuumed)}")
    counts["matrix_entries"] = matrix_snapshot_rebuild()  # the what-is-where snapshot the transitions keep


def generate(
    sizes: Sizes,
    *,
    seed: int = 42,
    chunk: int = 20_000,
    out=sys.stderr,
    processes: int = 1,
    reference: dict | None = None,
    bulk: bool = True,
    engine: str | None = None,
    beside: Callable[[], dict] | None = None,
) -> dict:
    """Create the data set; returns counts. Deterministic for a given seed and size (on an empty database).

    With `reference` (see `reference_from`) the deployments use those rows instead of new bench reference data.
    With `processes` ≥ 1 on PostgreSQL, generator processes make the next chunks while this one loads the last.
    `bulk` (PostgreSQL) skips foreign-key triggers and rebuilds the indexes after the load: for a database user
    allowed to, and worth it only for large sets. `engine` "python" keeps the Python chunks on PostgreSQL too.
    `beside` (counts of more rows it makes, added to the result) runs once the rows and their indexes are in: on a
    connection of its own while this one analyzes, vacuums and makes the what-is-where snapshot (each of those is
    one statement on one core at a time), or after them inside a transaction or on another database.
    """
    global _REF
    rng = random.Random(seed)  # noqa: S311 (deterministic test data, not security)
    t0 = time.monotonic()
    with transaction.atomic():
        ref = dict(reference) if reference is not None else make_reference_data(sizes, rng)
        ref["dep_id"] = next_id(Deployment)
        ref["event_id"] = next_id(DeploymentEvent)
    out.write(f"reference data: {time.monotonic() - t0:.1f} s\n")
    if bulk:
        bulk_load_session()
    # on an empty database the generator makes the KPI daily rows itself; otherwise they are rebuilt after the load
    rollups = ref["dep_id"] == 1 and not DeploymentDailyRollup.objects.exists()
    _REF = _plain_reference(ref, sizes, seed, rollups)
    counts = dict.fromkeys(TABLES, 0)
    counts["kpi_rollup_rows"] = 0
    progress = Progress(sizes.deployments, out)
    loaded = (
        Deployment,
        DeploymentEvent,
        Check,
        Approval,
        Deployment.component_versions.through,
        Deployment.practitioners.through,
        DeploymentDailyRollup,
    )
    # the bench's own reference data on PostgreSQL: every row made by the database (`dataset_sql`); the demo's
    # history (whose stages have entry and exit criteria), and SQLite, go through the Python chunks
    in_sql = connection.vendor == "postgresql" and bulk and reference is None and engine != "python"
    with IndexesDropped(loaded if bulk else ()) as dropped:
        if in_sql:
            _load_in_sql(sizes, chunk, counts, progress, rollups, out)
        else:
            _load_chunks(sizes, chunk, processes, counts, progress, out)
        out.write(f"rebuilding {len(dropped.definitions)} indexes…\n")
        indexed_at = time.monotonic()
    out.write(f"indexes rebuilt: {time.monotonic() - indexed_at:.1f} s\n")
    for model in (Deployment, DeploymentEvent, Check, Approval, IncidentLink, Feedback):
        reset_sequence(model)
    from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild

    snapshot_at = time.monotonic()
    two = connection.vendor == "postgresql" and bulk and not connection.in_atomic_block
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside") if beside and two else nullcontext() as pool:
        besides = pool.submit(dataset_sql.in_thread, beside) if pool is not None else None
        _statistics_and_snapshot(counts, bulk)
        out.write(f"vacuum, statistics and what-is-where snapshot: {time.monotonic() - snapshot_at:.1f} s\n")
        if besides is not None:
            counts |= besides.result()
        elif beside is not None:
            counts |= beside()
    if not rollups:  # the generator made them with the chunks on an empty database; otherwise rebuilt
        counts["kpi_rollup_rows"] = kpi_rollup_rebuild()
    counts["seconds"] = round(time.monotonic() - t0, 1)
    return counts
