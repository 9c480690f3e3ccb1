"""History generator: the DESIGN.md §7 benchmark data set (ten years of deployments over its own reference data)
and the demo's year of history (over the demo's environments, services, models and users), deterministic by seed.

Reference data goes in with the ORM (or is read from the database); deployments and everything hanging off them
are generated in chunks and loaded with COPY (PostgreSQL), so a million deployments load in minutes with bounded
memory.
"""

import datetime as dt
import hashlib
import random
import sys
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.bench.loader import IndexesDropped, bulk_load_session, copy_text, next_id, reset_sequence
from apps.catalog.models import ComponentSource, ComponentType, ComponentVersion, Service, ServiceComponent
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus
from apps.deployments.models import (
    Approval,
    Check,
    Deployment,
    DeploymentEvent,
    Feedback,
    IncidentLink,
    Trigger,
)
from apps.deployments.rules import criteria_lines
from apps.deployments.workflow import Status
from apps.environments.models import Environment, EnvironmentKind
from apps.roles import definitions as roles

BENCH_PREFIX = "bench-"
PASSWORD = "bench-password"  # noqa: S105 (benchmark users on a local benchmark database only)


@dataclass
class Sizes:
    deployments: int
    environments: int = 20
    services: int = 500
    components: int = 5000
    models: int = 50
    versions_per_component: int = 3
    users: int = 200
    years: float = 10
    days_ahead: int = 30  # the history ends this many days after today (planned, not yet done)

    @classmethod
    def scaled(cls, deployments: int) -> "Sizes":
        """The full reference data from 100,000 deployments up; smaller sets shrink it proportionally."""
        if deployments >= 100_000:
            return cls(deployments=deployments)
        f = max(deployments / 100_000, 0.02)
        return cls(
            deployments=deployments,
            services=max(10, int(500 * f)),
            components=max(40, int(5000 * f)),
            models=max(8, int(50 * f)),
            users=max(30, int(200 * f)),
        )


class Progress:
    def __init__(self, total: int, out=sys.stderr, label="deployments"):
        self.total, self.out, self.label, self.t0, self.done = total, out, label, time.monotonic(), 0

    def update(self, n: int) -> None:
        self.done += n
        pct = self.done / self.total if self.total else 1
        bar = "#" * int(pct * 40)
        rate = self.done / max(time.monotonic() - self.t0, 1e-6)
        self.out.write(f"\r[{bar:<40}] {pct:6.1%} {self.done:,}/{self.total:,} {self.label} ({rate:,.0f}/s)")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")


def _reference_data(sizes: Sizes, rng: random.Random) -> dict:
    kinds = [
        EnvironmentKind.DEVELOPMENT,
        EnvironmentKind.INTEGRATION,
        EnvironmentKind.TEST,
        EnvironmentKind.STAGING,
        EnvironmentKind.PRODUCTION,
    ]
    envs = Environment.objects.bulk_create(
        [
            Environment(
                name=f"Bench {kinds[i % 5].label} {i // 5 + 1}",
                slug=f"{BENCH_PREFIX}{kinds[i % 5]}-{i // 5 + 1}",
                kind=kinds[i % 5],
                order=(i % 5) * 10 + i // 5,
                allows_parallel_deployments=kinds[i % 5] != EnvironmentKind.PRODUCTION,
            )
            for i in range(sizes.environments)
        ]
    )
    password = make_password(PASSWORD)
    role_cycle = (
        [roles.MANAGER] * 1
        + [roles.PRACTITIONER] * 10
        + [roles.SERVICE_OWNER] * 5
        + [roles.PRODUCT_OWNER] * 3
        + [roles.AUDITOR]
    )
    users = User.objects.bulk_create(
        [
            User(
                username=f"{BENCH_PREFIX}user{i:04d}",
                email=f"bench{i}@bench.example",
                password=password,
                first_name="Bench",
                last_name=f"User {i}",
            )
            for i in range(sizes.users)
        ]
    )
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    by_role: dict[str, list[User]] = {r: [] for r in roles.ROLES}
    memberships = []
    for i, user in enumerate(users):
        role = role_cycle[i % len(role_cycle)]
        by_role[role].append(user)
        memberships.append(User.groups.through(user_id=user.pk, group_id=groups[role].pk))
    User.groups.through.objects.bulk_create(memberships)

    crits = ["low", "medium", "high", "critical"]
    services = Service.objects.bulk_create(
        [
            Service(name=f"Bench service {i:04d}", slug=f"{BENCH_PREFIX}service-{i:04d}", criticality=crits[i % 4])
            for i in range(sizes.services)
        ]
    )
    owners = [
        Service.owners.through(
            service_id=s.pk, user_id=by_role[roles.SERVICE_OWNER][i % len(by_role[roles.SERVICE_OWNER])].pk
        )
        for i, s in enumerate(services)
    ]
    Service.owners.through.objects.bulk_create(owners)
    pos = [
        Service.product_owners.through(
            service_id=s.pk, user_id=by_role[roles.PRODUCT_OWNER][i % len(by_role[roles.PRODUCT_OWNER])].pk
        )
        for i, s in enumerate(services)
    ]
    Service.product_owners.through.objects.bulk_create(pos)

    types, sources = list(ComponentType.values), list(ComponentSource.values)
    components = ServiceComponent.objects.bulk_create(
        [
            ServiceComponent(
                service=services[i % len(services)],
                name=f"component-{i:05d}",
                type=types[i % len(types)] if i % 3 else ComponentType.SOFTWARE,
                source=sources[i % len(sources)],
            )
            for i in range(sizes.components)
        ],
        batch_size=2000,
    )
    versions = ComponentVersion.objects.bulk_create(
        [
            ComponentVersion(
                component=c,
                version=f"{1 + v}.{i % 10}.0",
                repository_ref=f"dml://bench/{c.name}/{1 + v}.{i % 10}.0",
                checksum=hashlib.sha256(f"{c.name}-{v}".encode()).hexdigest(),
            )
            for i, c in enumerate(components)
            for v in range(sizes.versions_per_component)
        ],
        batch_size=5000,
    )
    models_ = DeploymentModel.objects.bulk_create(
        [
            DeploymentModel(
                name=f"Bench model {i:03d}",
                status=ModelStatus.ACTIVE if i % 10 else ModelStatus.RETIRED,
                component_types=[types[i % len(types)], ComponentType.SOFTWARE],
                automation_level=["manual", "partly_automated", "fully_automated"][i % 3],
                next_review_due=timezone.now().date() + dt.timedelta(days=i),
            )
            for i in range(sizes.models)
        ]
    )
    prod_envs = [e for e in envs if e.kind == EnvironmentKind.PRODUCTION]
    stages = []
    for i, m in enumerate(models_):
        flow = [e for e in envs if e.kind in (EnvironmentKind.TEST, EnvironmentKind.STAGING)][i % 4 :: 4][:2]
        flow.append(prod_envs[i % len(prod_envs)])
        for order, env in enumerate(flow, start=1):
            stages.append(
                ModelStage(
                    model=m,
                    environment=env,
                    order=order,
                    approvals_required=0 if order == 1 else 1,
                    pre_approved=order == 1,
                    requires_service_owner_approval=order == len(flow),
                )
            )
    stages = ModelStage.objects.bulk_create(stages)
    stage_by = {(s.model_id, s.environment_id): s.pk for s in stages}
    versions_by_service: dict[int, list[tuple[int, int]]] = {}
    comp_service = {c.pk: c.service_id for c in components}
    for v in versions:
        versions_by_service.setdefault(comp_service[v.component_id], []).append((v.pk, v.component_id))
    return {
        "envs": envs,
        "services": services,
        "versions_by_service": versions_by_service,
        "models": models_,
        "stage_by": stage_by,
        "practitioners": [u.pk for u in by_role[roles.PRACTITIONER]],
        "managers": [u.pk for u in by_role[roles.MANAGER]],
        "requesters": [u.pk for u in by_role[roles.PRODUCT_OWNER] + by_role[roles.SERVICE_OWNER]],
    }


def _stage_criteria(stages) -> dict[int, tuple[list[str], list[str]]]:
    """Each stage's entry and exit criteria, one check per line, as approval makes them."""
    return {s.pk: (criteria_lines(s.entry_criteria), criteria_lines(s.exit_criteria)) for s in stages}


def reference_from(
    *,
    environments: list[Environment],
    services: list[Service],
    models_: list[DeploymentModel],
    versions: list[ComponentVersion],
    managers: list[int],
    practitioners: list[int],
    requesters: list[int],
) -> dict:
    """The generator's reference from existing rows (the demo's own), instead of making bench reference data.
    Each service deploys the given `versions` of its components; `models_` with their stages in `environments`."""
    env_pks = {e.pk for e in environments}
    stages = list(ModelStage.objects.filter(model__in=models_, environment_id__in=env_pks))
    stage_by = {(s.model_id, s.environment_id): s.pk for s in stages}
    versions_by_service: dict[int, list[tuple[int, int]]] = {}
    for v in versions:
        versions_by_service.setdefault(v.component.service_id, []).append((v.pk, v.component_id))
    return {
        "envs": list(environments),
        "services": list(services),
        "versions_by_service": versions_by_service,
        "models": list(models_),
        "stage_by": stage_by,
        "stage_criteria": _stage_criteria(stages),
        "practitioners": practitioners,
        "managers": managers,
        "requesters": requesters,
    }


FINAL_MIX = [
    (Status.COMPLETED, 88),
    (Status.FAILED, 2),
    (Status.ROLLED_BACK, 3),
    (Status.CANCELLED, 5),
    (Status.REJECTED, 2),
]
FUTURE_MIX = [(Status.DRAFT, 20), (Status.PENDING_APPROVAL, 30), (Status.APPROVED, 50)]
TRIGGERS = list(Trigger.values)
FINISHED_WITHIN = dt.timedelta(hours=8)
ACCEPTANCE = "Smoke test passed"  # every generated deployment names one acceptance check (the evidence rules)


def _pick(rng: random.Random, mix):
    return rng.choices([s for s, _ in mix], weights=[w for _, w in mix])[0]


N = "\\N"

D_COLS = [
    "id",
    "reference",
    "title",
    "action",
    "trigger",
    "model_id",
    "stage_id",
    "service_id",
    "environment_id",
    "change_ref",
    "release_ref",
    "requester_id",
    "manager_id",
    "supplier_id",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "status",
    "outcome",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "handover_note",
    "override_count",
    "external_id",
    "submitted_at",
    "approved_at",
    "version",
    "created_at",
    "updated_at",
]
E_COLS = [
    "id",
    "deployment_id",
    "at",
    "actor_id",
    "channel",
    "token_name",
    "kind",
    "from_status",
    "to_status",
    "comment",
    "data",
]
C_COLS = [
    "deployment_id",
    "kind",
    "description",
    "result",
    "evidence",
    "component_version_id",
    "observed_checksum",
    "required",
    "recorded_by_id",
    "recorded_at",
]
A_COLS = ["deployment_id", "user_id", "role", "decision", "comment", "at", "superseded"]
I_COLS = [
    "deployment_id",
    "incident_ref",
    "title",
    "severity",
    "opened_at",
    "resolved_at",
    "created_by_id",
    "withdrawn_reason",
]
F_COLS = ["deployment_id", "user_id", "rating_lead_time", "rating_quality", "comment", "at"]


def _t(value) -> str:
    return N if value is None else str(value)


_REF: dict = {}  # plain reference data for the generator processes (inherited by fork, never touches the DB)
TABLES = ("deployments", "versions", "practitioners", "events", "checks", "approvals", "incidents", "feedback")


def _plain_reference(ref: dict, sizes: Sizes, seed: int) -> dict:
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
    }


def _chunk(args: tuple[int, int, int]) -> tuple[int, dict[str, list[str]]]:
    """Generate the rows of deployments [lo, hi) as COPY text; seeded per chunk, so the result is the same
    whatever process makes it. The n-th event of the i-th deployment has id first event id + i × 10 + n, so chunks
    need no coordination (and existing events, such as the demo's showcase, keep theirs)."""
    index, lo, hi = args
    r = _REF
    rng = random.Random(f"{r['seed']}-{index}")  # noqa: S311 (deterministic test data, not security)
    out = {t: [] for t in TABLES}
    deps, dvs, dps, events = out["deployments"], out["versions"], out["practitioners"], out["events"]
    checks, approvals, incidents, feedback = out["checks"], out["approvals"], out["incidents"], out["feedback"]
    envs, env_weights, services, models_ = r["envs"], r["env_weights"], r["services"], r["models"]
    requesters, managers, practitioners = r["requesters"], r["managers"], r["practitioners"]
    now, first, step = r["now"], r["first"], r["step"]
    for i in range(lo, hi):
        pk = r["dep_id"] + i
        start = (first + step * i + dt.timedelta(minutes=rng.randint(0, 240))).replace(second=0, microsecond=0)
        end = start + dt.timedelta(minutes=rng.choice((30, 60, 90, 120, 240)))
        env_pk, _kind = rng.choices(envs, weights=env_weights)[0]
        service_pk, service_name = services[rng.randrange(len(services))]
        model_pk = models_[rng.randrange(len(models_))] if models_ and rng.random() < 0.92 else None
        stage_id = r["stage_by"].get((model_pk, env_pk)) if model_pk else None
        requester = requesters[rng.randrange(len(requesters))]
        manager = managers[rng.randrange(len(managers))]
        practitioner = practitioners[rng.randrange(len(practitioners))]
        # a deployment whose work could still be going on (up to 7.2 hours after its start) is not yet done
        status = _pick(rng, FUTURE_MIX) if start + FINISHED_WITHIN > now else _pick(rng, FINAL_MIX)
        created = start - dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        submitted = created + dt.timedelta(hours=rng.randint(1, 48)) if status != Status.DRAFT else None
        approved = (
            submitted + dt.timedelta(hours=rng.randint(1, 72))
            if status not in (Status.DRAFT, Status.PENDING_APPROVAL, Status.REJECTED)
            and not (status == Status.CANCELLED and rng.random() < 0.5)
            else None
        )
        executed = status in (Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK)
        late = rng.random() < 0.12
        a_start = start + dt.timedelta(minutes=rng.randint(0, 30) + (90 if late else 0)) if executed else None
        a_end = a_start + (end - start) * rng.uniform(0.5, 1.3) if executed else None
        version_pk, _comp = rng.choice(r["versions_by_service"].get(service_pk) or [(None, None)])
        action = "remove" if rng.random() < 0.03 else "deploy"
        outcome = "Failed verification" if status in (Status.FAILED, Status.ROLLED_BACK) else ""
        override = 1 if rng.random() < 0.01 else 0
        title = f"Release {rng.randint(1, 40)}.{rng.randint(0, 20)} of {service_name}"
        deps.append(
            f"{pk}\tDEP-{pk:06d}\t{title}\t{action}\t{TRIGGERS[rng.randrange(len(TRIGGERS))]}\t"
            f"{_t(model_pk)}\t{_t(stage_id)}\t{service_pk}\t{env_pk}\tCHG{pk:07d}\t"
            f"REL{pk // 7:06d}\t{requester}\t{manager}\t{N}\t{start}\t{end}\t{_t(a_start)}\t{_t(a_end)}\t"
            f"{status}\t{outcome}\t\t{ACCEPTANCE}\tf\t\t{override}\t\t{_t(submitted)}\t{_t(approved)}\t1\t{created}\t"
            f"{a_end or approved or created}\n"
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
                        a_end + dt.timedelta(minutes=20),
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
                incidents.append(f"{pk}\tINC{pk:07d}\tDegradation\tmedium\t{opened}\t{resolved}\t{practitioner}\t\n")
            if status == Status.COMPLETED and rng.random() < 0.15:
                feedback.append(
                    f"{pk}\t{requester}\t{rng.randint(2, 5)}\t{rng.randint(2, 5)}\t\t{a_end + dt.timedelta(days=1)}\n"
                )
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


def generate(
    sizes: Sizes,
    *,
    seed: int = 42,
    chunk: int = 20_000,
    out=sys.stderr,
    processes: int = 1,
    reference: dict | None = None,
    bulk: bool = True,
) -> dict:
    """Create the data set; returns counts. Deterministic for a given seed and size (on an empty database).

    With `reference` (see `reference_from`) the deployments use those rows instead of new bench reference data.
    With `processes` ≥ 1 on PostgreSQL, generator processes make the next chunks while this one loads the last.
    `bulk` (PostgreSQL) skips foreign-key triggers and rebuilds the indexes after the load: for a database user
    allowed to, and worth it only for large sets.
    """
    global _REF
    rng = random.Random(seed)  # noqa: S311 (deterministic test data, not security)
    t0 = time.monotonic()
    with transaction.atomic():
        ref = dict(reference) if reference is not None else _reference_data(sizes, rng)
        ref["dep_id"] = next_id(Deployment)
        ref["event_id"] = next_id(DeploymentEvent)
    out.write(f"reference data: {time.monotonic() - t0:.1f} s\n")
    if bulk:
        bulk_load_session()
    _REF = _plain_reference(ref, sizes, seed)
    counts = dict.fromkeys(TABLES, 0)
    jobs = [(k, lo, min(lo + chunk, sizes.deployments)) for k, lo in enumerate(range(0, sizes.deployments, chunk))]
    progress = Progress(sizes.deployments, out)
    loaded = (
        Deployment,
        DeploymentEvent,
        Check,
        Approval,
        Deployment.component_versions.through,
        Deployment.practitioners.through,
    )
    with IndexesDropped(loaded if bulk else ()) as dropped:
        if processes > 0 and connection.vendor == "postgresql":
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(processes) as pool:
                for n, rows in pool.imap(_chunk, jobs):
                    _load(rows, counts)
                    progress.update(n)
        else:
            for job in jobs:
                n, rows = _chunk(job)
                _load(rows, counts)
                progress.update(n)
        progress.close()
        out.write(f"rebuilding {len(dropped.definitions)} indexes…\n")
    for model in (Deployment, DeploymentEvent, Check, Approval, IncidentLink, Feedback):
        reset_sequence(model)
    if connection.vendor == "postgresql" and bulk:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("ANALYZE")
    from apps.deployments.services.kpi_rollup import kpi_rollup_rebuild
    from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild

    counts["matrix_entries"] = matrix_snapshot_rebuild()  # the what-is-where snapshot the transitions keep
    counts["kpi_rollup_rows"] = kpi_rollup_rebuild()  # the KPI daily rollup, likewise
    counts["seconds"] = round(time.monotonic() - t0, 1)
    return counts
