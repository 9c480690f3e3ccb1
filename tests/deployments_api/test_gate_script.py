"""examples/deploydesk_gate.py, run as a CI job would, against a live Deploydesk with a real token."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from apps.deployments.workflow import Status
from tests.factories.accounts import token_for
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "deploydesk_gate.py"


def _gate(live_server, token: str, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--url", live_server.url, *args],
        env={"DEPLOYDESK_TOKEN": token, "PATH": "/usr/bin:/bin", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_gate_script_passes_an_open_gate_and_fails_a_closed_one_with_its_reasons(live_server, world, tmp_path):
    token = token_for(world.users["manager"], "ci gate")
    # given a build the world's model pre-approves in test
    # when the job asks about it, then the gate is open: exit 0
    done = _gate(live_server, token, "--environment", "test", "--component", "shop-web", "--version", "1.0.0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[deploydesk] the gate is open for shop-web 1.0.0 in test" in done.stdout
    # and staging needs approval, which --allow not_approved accepts, but the promotion gap is not
    staging = ["--environment", "staging", "--component", "shop-web", "--version", "1.1.0", "--allow", "not_approved"]
    closed = _gate(live_server, token, *staging)
    assert closed.returncode == 1
    assert (
        "  - promotion_gap: shop-web 1.1.0 has no completed deployment in Test (the previous stage of " in closed.stdout
    )
    assert "not_approved" not in closed.stdout

    # given an approved deployment in an environment frozen now
    env = EnvironmentFactory(name="Frozen", allows_parallel_deployments=True)
    FreezeWindowFactory(
        environment=env, name="Sale", reason="Winter sale.", start=timezone.now() - dt.timedelta(hours=1)
    )
    d = DeploymentFactory(service=world.service, environment=env, status=Status.APPROVED, versions=[world.version_1])
    summary = tmp_path / "summary.md"
    # when the job asks its gate inside GitHub Actions
    frozen = _gate(
        live_server,
        token,
        "--deployment",
        str(d.pk),
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    # then the job fails with the reason, as a log line, an annotation and in the summary
    assert frozen.returncode == 1
    assert "  - freeze: Freeze “Sale” is in force: Winter sale." in frozen.stdout
    assert "::error title=Deploydesk gate (freeze)::Freeze “Sale” is in force: Winter sale." in frozen.stdout
    assert summary.read_text() == (
        f"### Deploydesk gate closed for deployment {d.pk}\n\n- **freeze**: Freeze “Sale” is in force: Winter sale.\n"
    )
