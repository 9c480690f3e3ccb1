"""The benchmark data set's reference data: environments, services, components and their versions, models with
their stages, and users in every role (made with the ORM, or taken from existing rows: the demo's own)."""

import datetime as dt
import hashlib
import random
import sys
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.models import ComponentSource, ComponentType, ComponentVersion, Service, ServiceComponent
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus
from apps.deployments.rules import criteria_lines
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


def make_reference_data(sizes: Sizes, rng: random.Random) -> dict:
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
