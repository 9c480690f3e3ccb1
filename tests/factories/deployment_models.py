"""Factories for deployment models, their stages and responsibilities (and environments when none exist yet)."""

import factory

from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Raci, Responsibility
from apps.environments.models import Environment, EnvironmentKind


class EnvironmentFactory(factory.django.DjangoModelFactory):
    """A plain environment; the environments app's own factory may offer more."""

    class Meta:
        model = Environment
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Environment {n}")
    slug = factory.Sequence(lambda n: f"environment-{n}")
    kind = EnvironmentKind.OTHER
    order = factory.Sequence(lambda n: n)


def environment(kind: str, *, order: int | None = None) -> Environment:
    """The environment of that kind with the slug of the kind, made if missing (e.g. "test", "production")."""
    orders = {"development": 10, "integration": 20, "test": 30, "staging": 40, "production": 50}
    return EnvironmentFactory(
        slug=kind, name=kind.capitalize(), kind=kind, order=order if order is not None else orders.get(kind, 60)
    )


class DeploymentModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentModel

    name = factory.Sequence(lambda n: f"Model {n}")
    version = 1
    status = ModelStatus.DRAFT
    component_types = factory.LazyFunction(lambda: ["software"])
    component_sources = factory.LazyFunction(lambda: ["in_house"])
    description = "A model made by a test."
    rollback_procedure = "Redeploy the previous version."

    class Params:
        active = factory.Trait(status=ModelStatus.ACTIVE)
        pilot = factory.Trait(status=ModelStatus.PILOT)
        retired = factory.Trait(status=ModelStatus.RETIRED)


class ModelStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelStage

    model = factory.SubFactory(DeploymentModelFactory)
    environment = factory.SubFactory(EnvironmentFactory)
    order = factory.Sequence(lambda n: n + 1)
    approvals_required = 1
    entry_criteria = "Previous stage completed."
    exit_criteria = "Acceptance checks passed."
    acceptance_criteria = "Smoke test passed\nMonitoring green"


class ResponsibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Responsibility

    model = factory.SubFactory(DeploymentModelFactory)
    activity = factory.Sequence(lambda n: f"Activity {n}")
    role = "Deployment manager"
    raci = Raci.ACCOUNTABLE
