"""Factories for deployments: `DeploymentFactory` puts a row in any status (for table tests); `plan` and
`advance` reach states through the services, as users would."""

import datetime as dt

import factory
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.deployment_models.models import Trigger
from apps.deployments.models import Action, Deployment
from apps.deployments.services import Context, check_record, deployment_create, deployment_transition
from apps.deployments.services.handover import deployment_handover_set, handover_required
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.environments import EnvironmentFactory


def soon(days: int = 10, hour: int = 10) -> dt.datetime:
    """A whole hour `days` from now (UTC), far from the world's freeze window."""
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=days)
    return base.replace(hour=hour)


class DeploymentFactory(factory.django.DjangoModelFactory):
    """A deployment row written directly — for tests that need a given status without walking the process."""

    class Meta:
        model = Deployment
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Deploy release {n}")
    action = Action.DEPLOY
    trigger = Trigger.RELEASE
    service = factory.SubFactory(ServiceFactory)
    environment = factory.SubFactory(EnvironmentFactory)
    requester = factory.SubFactory(UserFactory, roles=["product_owner"])
    planned_start = factory.LazyFunction(lambda: soon(10))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + dt.timedelta(hours=2))
    acceptance_criteria = "Smoke test passed"  # a controlled environment approves nothing without one
    status = Status.DRAFT

    @factory.post_generation
    def reference(self, create, extracted, **kwargs):
        if create:
            self.reference = Deployment.reference_for(self.pk)
            Deployment.objects.filter(pk=self.pk).update(reference=self.reference)

    @factory.post_generation
    def versions(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [ComponentVersionFactory(component__service=self.service)]
        self.component_versions.set(extracted)

    @factory.post_generation
    def practitioners(self, create, extracted, **kwargs):
        if create and extracted:
            self.practitioners.set(extracted)
            for user in extracted:
                assign_perm("deployments.execute_deployment", user, self)


def plan(*, requester, service, environment, versions, model=None, start=None, hours=2, practitioners=(), **extra):
    """Create a draft through the service, as a requester would, with one acceptance criterion unless told
    otherwise (a controlled environment approves nothing without one)."""
    start = start or soon(10)
    extra.setdefault("acceptance_criteria", "Smoke test passed")
    data = {
        "title": extra.pop("title", f"Deploy {', '.join(v.version for v in versions)} to {environment}"),
        "service": service,
        "environment": environment,
        "model": model,
        "component_versions": list(versions),
        "planned_start": start,
        "planned_end": start + dt.timedelta(hours=hours),
        **extra,
    }
    deployment = deployment_create(ctx=Context(actor=requester), data=data)
    if practitioners:
        from apps.deployments.services import deployment_update

        manager = UserFactory(roles=["manager"])
        deployment = deployment_update(
            ctx=Context(actor=manager),
            deployment=deployment,
            data={"practitioners": list(practitioners)},
            expected_version=None,
        )
    return deployment


def pass_checks(deployment, actor, *kinds) -> None:
    """Pass every check of these kinds, with evidence (and the checksum a component check expects)."""
    for check in deployment.checks.filter(kind__in=kinds):
        observed = check.component_version.checksum if check.component_version_id else ""
        check_record(ctx=Context(actor=actor), check=check, result="pass", evidence="ok", observed_checksum=observed)


# the kinds of checks passed before each gated transition
GATE_KINDS = {
    "start": ("entry",),
    "confirm-components": ("component",),
    "confirm-environment": ("environment",),
    "complete": ("acceptance", "exit"),
}


PATH = ["submit", "approve", "start", "confirm-components", "confirm-environment", "finish-execution", "complete"]


def advance(deployment, *, to: str, manager, practitioner=None, approvers=()):
    """Walk a deployment through the process to status `to`, passing every check on the way."""
    actor_exec = practitioner or manager
    target_order = {
        Status.PENDING_APPROVAL: 1,
        Status.APPROVED: 2,
        Status.VERIFYING_COMPONENTS: 3,
        Status.VERIFYING_ENVIRONMENT: 4,
        Status.EXECUTING: 5,
        Status.VERIFYING: 6,
        Status.COMPLETED: 7,
    }[to]
    from apps.deployments.workflow import TRANSITIONS

    for name in PATH[:target_order]:
        deployment.refresh_from_db()
        if deployment.status not in TRANSITIONS[name].sources:
            continue  # already past this step
        if name == "submit":
            deployment_transition(ctx=Context(actor=deployment.requester), deployment=deployment, transition="submit")
        elif name == "approve":
            deployment.refresh_from_db()
            if deployment.status == Status.APPROVED:
                continue
            for approver in approvers or [manager]:
                deployment_transition(ctx=Context(actor=approver), deployment=deployment, transition="approve")
        else:
            if name in GATE_KINDS:
                pass_checks(deployment, actor_exec, *GATE_KINDS[name])
            if name == "complete" and handover_required(deployment) and not deployment.handover_note:
                deployment_handover_set(
                    ctx=Context(actor=actor_exec), deployment=deployment, handover_note="Handed over to the desk."
                )
            deployment_transition(ctx=Context(actor=actor_exec), deployment=deployment, transition=name)
    deployment.refresh_from_db()
    return deployment


def supersede_and_remove(w, *, manager, boss):
    """In the shared `world`: shop-web 1.1.0 completed in test after the world's 1.0.0, and payroll-batch deployed then
    removed from test, through the services (`boss` approving what `manager` requests). Returns (newer, removal)."""
    newer = plan(requester=manager, service=w.service, environment=w.env_test, versions=[w.version_2], start=soon(20))
    advance(newer, to=Status.COMPLETED, manager=boss)
    payroll = plan(
        requester=manager, service=w.other_service, environment=w.env_test, versions=[w.other_version], start=soon(22)
    )
    advance(payroll, to=Status.COMPLETED, manager=boss)
    removal = plan(
        requester=manager,
        service=w.other_service,
        environment=w.env_test,
        versions=[w.other_version],
        start=soon(24),
        action=Action.REMOVE,
    )
    advance(removal, to=Status.COMPLETED, manager=boss)
    return newer, removal
