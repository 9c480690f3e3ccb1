"""examples/pipeline_client.py, run as a pipeline would, against a live Deploydesk with a real token."""

import subprocess
import sys
from pathlib import Path

import pytest

from apps.deployments.models import Deployment, DeploymentEvent
from tests.deployments_api.conftest import automated_setup
from tests.factories.accounts import UserFactory, token_for
from tests.factories.catalog import sha256_of

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "pipeline_client.py"


def _client(live_server, token: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLIENT), "--url", live_server.url, *args],
        env={"DEPLOYDESK_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_pipeline_client_completes_a_pre_approved_deployment(live_server, world):
    # given a manager service account's token and a fully automated, pre-approved stage
    setup = automated_setup()
    bot = UserFactory(username="ci-bot", roles=["manager"], is_service_account=True)
    token = token_for(bot, "github actions shop-web")
    checksum = sha256_of("shop-web-3.0.0")
    # when the example client runs the whole deployment of a new build
    args = ["--service", str(world.service.pk), "--component", str(world.component.pk), "--version", "3.0.0"]
    args += ["--checksum", checksum, "--environment", str(setup.env.pk), "--model", str(setup.model.pk)]
    args += ["--repository-ref", "oci://registry/shop-web:3.0.0", "--external-id", "gha-1001", "--command", "true"]
    done = _client(live_server, token, *args)
    # then it exits 0, the deployment is completed, and its timeline shows the API channel and the token name
    assert done.returncode == 0, done.stdout + done.stderr
    deployment = Deployment.objects.get(external_id="gha-1001")
    assert deployment.status == "completed"
    assert list(deployment.component_versions.values_list("version", "checksum")) == [("3.0.0", checksum)]
    events = DeploymentEvent.objects.filter(deployment=deployment)
    system = events.filter(channel="system")  # the notifications sent after commit, by the worker
    assert set(system.values_list("kind", flat=True)) <= {"communication"}
    assert {(e.channel, e.token_name) for e in events.exclude(channel="system")} == {("api", "github actions shop-web")}
    assert list(events.filter(kind="transition").values_list("to_status", flat=True)) == [
        "approved",
        "verifying_components",
        "verifying_environment",
        "executing",
        "verifying",
        "completed",
    ]
    assert "completed" in done.stdout
    # and running it again resumes the same deployment (idempotency key) and succeeds without a new one
    again = _client(live_server, token, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resumed" in again.stdout
    assert Deployment.objects.filter(external_id="gha-1001").count() == 1


def test_the_pipeline_client_fails_the_deployment_when_its_command_fails(live_server, world):
    setup = automated_setup()
    bot = UserFactory(username="ci-bot", roles=["practitioner"], is_service_account=True)
    token = token_for(bot, "jenkins")
    args = ["--service", str(world.service.pk), "--component", str(world.component.pk), "--version", "1.1.0"]
    args += ["--checksum", world.version_2.checksum, "--environment", str(setup.env.pk), "--model", str(setup.model.pk)]
    args += ["--external-id", "jenkins-7", "--command", "exit 3"]
    done = _client(live_server, token, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert Deployment.objects.get(external_id="jenkins-7").status == "failed"


def test_the_pipeline_client_times_out_waiting_for_approval(live_server, world):
    setup = automated_setup(pre_approved=False)
    bot = UserFactory(username="ci-bot", roles=["practitioner"], is_service_account=True)
    token = token_for(bot, "jenkins")
    args = ["--service", str(world.service.pk), "--component", str(world.component.pk), "--version", "1.1.0"]
    args += ["--checksum", world.version_2.checksum, "--environment", str(setup.env.pk), "--model", str(setup.model.pk)]
    args += ["--approval-timeout", "1", "--poll-interval", "0.2"]
    done = _client(live_server, token, *args)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "waiting for approval" in done.stdout


def test_the_pipeline_client_reports_a_bad_token(live_server, world):
    done = _client(
        live_server,
        "not-a-token",
        "--service",
        "1",
        "--component",
        "1",
        "--version",
        "1",
        "--checksum",
        "0" * 64,
        "--environment",
        "1",
    )
    assert done.returncode == 1
    assert "HTTP 401" in done.stdout
