"""The reference data every role journey starts from, built with the factories and the services as people would:
an online shop and a payments service, test → staging → production under one model, and deployments at each stage."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from apps.catalog.models import ComponentSource, ComponentType
from apps.catalog.services import component_create, component_version_create, service_create
from apps.deployment_models.services import model_activate, model_create, stage_add
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind
from apps.environments.services import environment_check_add, environment_clear_practitioner, environment_create
from tests.factories.accounts import UserFactory
from tests.factories.catalog import sha256_of
from tests.factories.deployments import advance, plan

PASSWORD = "demo-pw-123"

PEOPLE = {
    # key: (username, first name, last name, roles)
    "manager": ("maria", "Maria", "Manager", ["manager"]),
    "practitioner": ("pat", "Pat", "Practitioner", ["practitioner"]),
    "owner": ("sam", "Sam", "Owner", ["service_owner"]),
    "other_owner": ("olga", "Olga", "Owner", ["service_owner"]),
    "product_owner": ("priya", "Priya", "Product", ["product_owner"]),
    "auditor": ("audra", "Audra", "Auditor", ["auditor"]),
}


@dataclass
class Scenario:
    users: dict = field(default_factory=dict)
    envs: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    deployments: dict = field(default_factory=dict)
    model: object = None


def at(days: int, hour: int) -> dt.datetime:
    """A whole hour `days` from today (UTC)."""
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)


def build() -> Scenario:
    s = Scenario()
    for key, (username, first, last, roles) in PEOPLE.items():
        s.users[key] = UserFactory(username=username, first_name=first, last_name=last, password=PASSWORD, roles=roles)
    s.users["admin"] = UserFactory(
        username="ada", first_name="Ada", last_name="Admin", password=PASSWORD, is_staff=True, is_superuser=True
    )
    manager = s.users["manager"]

    # environments, their standing checks, and the practitioner's clearances
    for name, kind, order, parallel in (
        ("Test", EnvironmentKind.TEST, 30, True),
        ("Staging", EnvironmentKind.STAGING, 40, False),
        ("Production", EnvironmentKind.PRODUCTION, 50, False),
    ):
        s.envs[kind] = environment_create(
            actor=manager, name=name, kind=kind, order=order, allows_parallel_deployments=parallel
        )
    environment_check_add(environment=s.envs["staging"], description="Monitoring and alerting in place", actor=manager)
    environment_check_add(environment=s.envs["production"], description="Back-up taken and restorable", actor=manager)
    for kind in ("staging", "production"):
        environment_clear_practitioner(environment=s.envs[kind], user=s.users["practitioner"], actor=manager)

    # the catalog: the online shop (Sam owns it, Priya is its product owner) and payments (Olga's)
    shop = service_create(
        name="Online shop",
        criticality="high",
        owners=[s.users["owner"]],
        product_owners=[s.users["product_owner"]],
        actor=manager,
    )
    payments = service_create(name="Payments", criticality="critical", owners=[s.users["other_owner"]], actor=manager)
    for service, component, versions in (
        (shop, "shop-web", ("2.0.0", "2.1.0", "2.2.0")),
        (payments, "pay-api", ("3.4.0",)),
    ):
        made = component_create(
            service=service, name=component, type=ComponentType.SOFTWARE, source=ComponentSource.IN_HOUSE, actor=manager
        )
        for version in versions:
            s.versions[f"{component} {version}"] = component_version_create(
                component=made,
                version=version,
                repository_ref=f"dml://software/{component}/{version}",
                checksum=sha256_of(f"{component}-{version}"),
                actor=manager,
            )

    # the model: test is pre-approved, staging needs one approval, production two with the service owner's
    s.model = model_create(
        actor=manager,
        name="In-house software",
        component_types=["software"],
        component_sources=["in_house"],
        description="Web applications built in house, promoted test → staging → production.",
        rollback_procedure="Redeploy the previous version from the DML.",
    )
    stage_add(
        model=s.model,
        actor=manager,
        environment=s.envs["test"],
        pre_approved=True,
        acceptance_criteria="Regression suite passed",
    )
    stage_add(
        model=s.model,
        actor=manager,
        environment=s.envs["staging"],
        approvals_required=1,
        acceptance_criteria="Smoke test passed",
    )
    stage_add(
        model=s.model,
        actor=manager,
        environment=s.envs["production"],
        approvals_required=2,
        requires_service_owner_approval=True,
        acceptance_criteria="Smoke test passed\nNo new errors in the logs",
    )
    s.model = model_activate(model=s.model, actor=manager, override_reason="The team's agreed model, adopted as is")

    po, pat = s.users["product_owner"], s.users["practitioner"]
    v = s.versions

    def deployment(key, version, env, start, *, requester=po, service=shop, practitioners=(), to=None, **extra):
        made = plan(
            requester=requester,
            service=service,
            environment=s.envs[env],
            versions=[v[version]],
            model=extra.pop("model", s.model),
            start=start,
            title=f"{version} to {s.envs[env].name.lower()}",
            **extra,
        )
        if practitioners:  # Maria assigns them, as she would on the plan form
            made = deployment_update(
                ctx=Context(actor=manager),
                deployment=made,
                data={"practitioners": list(practitioners)},
                expected_version=None,
            )
        if to:
            made = advance(made, to=to, manager=manager, practitioner=pat if practitioners else None)
        s.deployments[key] = made
        return made

    # 2.0.0 went through test and staging; production waits for Sam's sign-off (Maria approved already)
    deployment("shop_200_test", "shop-web 2.0.0", "test", at(-9, 9), to=Status.COMPLETED)
    deployment("shop_200_staging", "shop-web 2.0.0", "staging", at(-6, 9), practitioners=[pat], to=Status.COMPLETED)
    prod = deployment(
        "shop_200_production",
        "shop-web 2.0.0",
        "production",
        at(3, 20),
        practitioners=[pat],
        to=Status.PENDING_APPROVAL,
        change_ref="CHG0001042",
    )
    deployment_transition(ctx=Context(actor=manager), deployment=prod, transition="approve", comment="Plan is sound.")
    # 2.1.0 passed test and is approved for staging tomorrow, assigned to Pat
    deployment("shop_210_test", "shop-web 2.1.0", "test", at(-2, 9), to=Status.COMPLETED)
    deployment("shop_210_staging", "shop-web 2.1.0", "staging", at(1, 10), practitioners=[pat], to=Status.APPROVED)
    # payments asks for the same staging slot (staging runs one deployment at a time), and a clean test slot
    deployment(
        "pay_340_staging",
        "pay-api 3.4.0",
        "staging",
        at(1, 11),
        requester=s.users["other_owner"],
        service=payments,
        to=Status.PENDING_APPROVAL,
    )
    deployment(
        "pay_340_test",
        "pay-api 3.4.0",
        "test",
        at(2, 9),
        requester=s.users["other_owner"],
        service=payments,
        model=None,
        to=Status.PENDING_APPROVAL,
    )
    for d in s.deployments.values():
        d.refresh_from_db()
    return s
