"""Fixtures of the records tests: files under a temporary MEDIA_ROOT, a completed deployment, clients per role."""

import pytest

from apps.deployments.workflow import Status
from tests.factories.deployments import advance


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
