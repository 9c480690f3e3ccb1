"""Fixtures for the API tests: token clients and a fully automated, pre-approved deployment model."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.deployment_models.models import AutomationLevel
from tests.factories.accounts import UserFactory, token_for
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.environments import EnvironmentCheckFactory, EnvironmentFactory


def token_client(user, name: str = "test token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, name)}")
    return client


@pytest.fixture
def client_for(world):
    """`client_for("manager")`: an APIClient with a token of that world user."""
    return lambda role, name="test token": token_client(world.users[role], name)


def automated_setup(*, pre_approved: bool = True) -> SimpleNamespace:
    """An environment `ci` with one standing check, and an active, fully automated model with one stage there."""
    # not under the organisation's control (a throw-away CI environment): pipelines need no clearance there
    env = EnvironmentFactory(name="CI", slug="ci", allows_parallel_deployments=True, controlled=False)
    EnvironmentCheckFactory(environment=env, description="IaC plan applied cleanly")
    model = DeploymentModelFactory(
        name="Container release",
        active=True,
        automation_level=AutomationLevel.FULLY_AUTOMATED,
        component_types=["software"],
        component_sources=["in_house"],
    )
    stage = ModelStageFactory(
        model=model,
        environment=env,
        order=1,
        pre_approved=pre_approved,
        approvals_required=0 if pre_approved else 1,
        acceptance_criteria="Smoke test passed",
        entry_criteria="",  # the pipeline's gates are its component, environment and acceptance checks
        exit_criteria="",
    )
    return SimpleNamespace(env=env, model=model, stage=stage)


@pytest.fixture
def automated(world):
    return automated_setup()


@pytest.fixture
def pipeline_user(world):
    return UserFactory(username="ci-bot", roles=["practitioner"], is_service_account=True)


def window(hours_from_now: float = 0.0, hours: float = 1.0) -> dict:
    start = timezone.now() + dt.timedelta(hours=hours_from_now)
    return {"planned_start": start.isoformat(), "planned_end": (start + dt.timedelta(hours=hours)).isoformat()}
