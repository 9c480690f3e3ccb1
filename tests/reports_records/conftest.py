"""Fixtures of the records tests: files under a temporary MEDIA_ROOT, a completed deployment, clients per role."""

import datetime as dt

import pytest
from django.test import Client

from apps.deployments.workflow import Status
from tests.factories.deployments import advance, plan, soon


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rec(world):
    """The shared world plus `w.completed`: w.deployment (shop-web 1.0.0 to test) walked to completed."""
    w = world
    w.completed = advance(
        w.deployment, to=Status.COMPLETED, manager=w.users["manager"], practitioner=w.users["practitioner"]
    )
    return w


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def many_deployments(w, n: int, *, service=None, environment=None, start=None):
    """`n` drafts of w.service (or `service`), one hour apart, through the planning service."""
    start = start or soon(20)
    return [
        plan(
            requester=w.users["manager"],
            service=service or w.service,
            environment=environment or w.env_test,
            versions=[w.version_2] if (service or w.service) == w.service else [w.other_version],
            start=start + dt.timedelta(hours=3 * i),
            title=f"Bulk {i}",
        )
        for i in range(n)
    ]
