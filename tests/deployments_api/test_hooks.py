"""Inbound GitHub and GitLab deployment events: verified, matched, applied through the transitions — or refused,
logged and never applied (unsigned, wrongly signed, replayed, unmatched, refused by the rules)."""

import datetime as dt
import hashlib
import hmac
import logging
from pathlib import Path

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from apps.deployments.models import Check, CheckKind, DeploymentEvent, HookDelivery
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import FreezeWindowFactory

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "hook_payloads"
GITHUB_SECRET, GITLAB_TOKEN = "test-github-secret", "test-gitlab-token"


@pytest.fixture
def hooks(settings, world):
    """Hooks configured with the samples' secrets; the hooks user is a practitioner assigned to `target`."""
    settings.DEPLOYDESK_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.DEPLOYDESK_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN
    settings.DEPLOYDESK_HOOKS_USER = "hooks-bot"
    bot = UserFactory(username="hooks-bot", roles=["practitioner"], is_service_account=True)
    assign_perm("environments.deploy_to_environment", bot, world.env_test)  # test is a controlled environment
    return bot


@pytest.fixture
def refusals():
    """The warnings the hooks log, whatever pytest's logging plugin does."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("deploydesk.hooks")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def target(world, hooks_user, status=Status.APPROVED, external_id="4711", **extra):
    """The deployment the samples are about: shop-web 1.0.0 to test, external id 4711 (GitHub) or 815 (GitLab)."""
    return DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        status=status,
        versions=[world.version_1],
        practitioners=[hooks_user],
        external_id=external_id,
        **extra,
    )


def sample(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def github(body: bytes, *, signature="sample", delivery="d-1", event="deployment_status", name=""):
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery}
    if signature == "sample":
        signature = (PAYLOADS / name.replace(".json", ".sig")).read_text().strip()
    if signature:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return APIClient().post("/api/v1/hooks/github/", body, content_type="application/json", **headers)


def github_sample(name: str, **kwargs):
    return github(sample(name), name=name, **kwargs)


def gitlab(name: str, *, token=GITLAB_TOKEN, delivery="g-1"):
    headers = {"HTTP_X_GITLAB_EVENT": "Deployment Hook", "HTTP_X_GITLAB_EVENT_UUID": delivery}
    if token:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    return APIClient().post("/api/v1/hooks/gitlab/", sample(name), content_type="application/json", **headers)


def test_the_signed_samples_carry_the_signature_of_their_bytes():
    # given each GitHub sample and its .sig
    for path in PAYLOADS.glob("github_*.json"):
        expected = "sha256=" + hmac.new(GITHUB_SECRET.encode(), path.read_bytes(), hashlib.sha256).hexdigest()
        # then the stored header is the HMAC-SHA256 of the raw body
        assert path.with_suffix(".sig").read_text().strip() == expected


# --- GitHub -------------------------------------------------------------------------------------------------------


def test_a_signed_success_moves_the_deployment_to_completed_on_the_api_channel(world, hooks):
    # given an approved deployment with external id 4711 (GitHub's deployment id)
    d = target(world, hooks)
    # when GitHub reports success
    response = github_sample("github_deployment_status_success.json")
    # then every transition up to completed is taken, by the hooks user, on the api channel
    assert response.status_code == 200
    assert response.json() == {
        "detail": "5 transition(s) taken.",
        "deployment": d.pk,
        "reference": d.reference,
        "status": "completed",
        "taken": ["start", "confirm-components", "confirm-environment", "finish-execution", "complete"],
    }
    events = DeploymentEvent.objects.filter(deployment=d, kind="transition").order_by("id")
    assert [(e.to_status, e.channel, e.actor, e.token_name) for e in events] == [
        (s, "api", hooks, "GitHub events")
        for s in ("verifying_components", "verifying_environment", "executing", "verifying", "completed")
    ]
    assert events[0].comment == (
        "GitHub deployment 4711 reported success: Deployed shop-web v1.0.0 to test "
        "(https://github.com/example/shop-web/actions/runs/4242/job/1)"
    )
    delivery = HookDelivery.objects.get()
    assert (delivery.source, delivery.delivery_id, delivery.status_code, delivery.deployment) == (
        "github",
        "d-1",
        200,
        d,
    )


def test_in_progress_moves_it_as_far_as_executing(world, hooks):
    d = target(world, hooks)
    response = github_sample("github_deployment_status_in_progress.json")
    assert response.status_code == 200
    assert response.json()["taken"] == ["start", "confirm-components", "confirm-environment"]
    d.refresh_from_db()
    assert d.status == Status.EXECUTING


def test_failure_fails_a_running_deployment_saying_why(world, hooks):
    # given a deployment executing
    d = target(world, hooks, status=Status.EXECUTING)
    # when GitHub reports failure
    response = github_sample("github_deployment_status_failure.json")
    # then it is failed, with GitHub's description as the reason
    assert response.status_code == 200
    d.refresh_from_db()
    assert d.status == Status.FAILED
    assert d.outcome.startswith("GitHub deployment 4711 reported failure: Health check failed after rollout")


def test_the_walk_stops_where_a_check_is_not_passed(world, hooks):
    # given an approved deployment with a required component check still pending
    d = target(world, hooks)
    Check.objects.create(deployment=d, kind=CheckKind.COMPONENT, description="Verify the image digest")
    # when GitHub reports success
    response = github_sample("github_deployment_status_success.json")
    # then it starts, and stops at the check gate, saying so
    body = response.json()
    assert (response.status_code, body["status"], body["taken"]) == (200, "verifying_components", ["start"])
    assert body["stopped"] == (
        f"confirm-components: {d.reference}: 1 required component check(s) not passed. (Verify the image digest)"
    )


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        ("", 401, "unsigned"),
        ("sha256=" + "0" * 64, 403, "bad_signature"),
        ("sha1=abc", 403, "bad_signature"),
        ("sha256=é", 403, "bad_signature"),
    ],
)
def test_an_unsigned_or_wrongly_signed_event_is_refused_logged_and_not_applied(
    world, hooks, refusals, signature, status, code
):
    # given an approved deployment
    d = target(world, hooks)
    # when a success event arrives without a good signature
    response = github_sample("github_deployment_status_success.json", signature=signature)
    # then it is refused, logged, and nothing moved or was stored
    assert response.status_code == status
    assert response.json()["code"] == code
    d.refresh_from_db()
    assert d.status == Status.APPROVED
    assert HookDelivery.objects.count() == 0
    assert [r.getMessage() for r in refusals] == [f"github event d-1 refused ({status}): {response.json()['detail']}"]


def test_a_replayed_delivery_is_refused(world, hooks, refusals):
    # given an in-progress event applied once
    d = target(world, hooks)
    assert github_sample("github_deployment_status_in_progress.json", delivery="same").status_code == 200
    d.refresh_from_db()
    d.status = Status.APPROVED  # the deployment is back where a replay could move it again
    d.save(update_fields=["status"])
    # when the same delivery comes again
    response = github_sample("github_deployment_status_in_progress.json", delivery="same")
    # then it is refused as a replay, and nothing moved
    assert (response.status_code, response.json()["code"]) == (409, "replayed")
    d.refresh_from_db()
    assert d.status == Status.APPROVED
    assert refusals[-1].getMessage() == "github event same refused (409): replayed"


def test_an_unmatched_event_is_refused_and_its_redelivery_is_applied_once_it_matches(world, hooks, refusals):
    # given a deployment whose external id is not GitHub's deployment id
    d = target(world, hooks, external_id="run-99")
    # when GitHub reports success
    response = github_sample("github_deployment_status_success.json")
    # then no deployment matches: 404, logged, stored as refused
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No deployment has external id 4711 in “test” with version v1.0.0 or 1.0.0.",
        "code": "unmatched",
    }
    assert HookDelivery.objects.get().status_code == 404
    assert "refused (404)" in refusals[-1].getMessage()
    # and when the id is put right, GitHub's redelivery of the same event is applied
    d.external_id = "4711"
    d.save(update_fields=["external_id"])
    assert github_sample("github_deployment_status_success.json").status_code == 200
    d.refresh_from_db()
    assert d.status == Status.COMPLETED


@pytest.mark.parametrize(("field", "value"), [("environment", "env_prod"), ("version", "version_2")])
def test_an_event_for_another_environment_or_version_does_not_match(world, hooks, field, value):
    # given the deployment 4711 in another environment, or of another version
    extra = {"environment": getattr(world, value)} if field == "environment" else {}
    d = DeploymentFactory(
        service=world.service,
        status=Status.APPROVED,
        external_id="4711",
        versions=[world.version_2] if field == "version" else [world.version_1],
        **(extra or {"environment": world.env_test}),
    )
    # when GitHub reports success for test / v1.0.0
    response = github_sample("github_deployment_status_success.json")
    # then nothing matches
    assert response.status_code == 404
    d.refresh_from_db()
    assert d.status == Status.APPROVED


def test_the_rules_refuse_the_first_transition_and_nothing_is_applied(world, hooks):
    # given an approved deployment to test, frozen now
    FreezeWindowFactory(environment=world.env_test, name="Now", start=timezone.now() - dt.timedelta(hours=1))
    d = target(world, hooks)
    # when GitHub reports success
    response = github_sample("github_deployment_status_success.json")
    # then the start is refused as on every channel: 409, unchanged
    assert (response.status_code, response.json()["code"]) == (409, "freeze")
    d.refresh_from_db()
    assert d.status == Status.APPROVED


def test_the_hooks_user_needs_the_rights_of_any_other_user(world, hooks):
    # given an approved deployment the hooks user is not assigned to
    d = target(world, UserFactory(roles=["practitioner"]))
    # when GitHub reports success
    response = github_sample("github_deployment_status_success.json")
    # then the hooks user may not start it
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    d.refresh_from_db()
    assert d.status == Status.APPROVED


@pytest.mark.parametrize(
    ("body", "event", "status", "detail"),
    [
        (b"{not json", "deployment_status", 400, "The body is not JSON."),
        (b"[]", "deployment_status", 400, "A deployment_status event needs `deployment` and `deployment_status`."),
        (b"{}", "push", 400, "Only deployment_status events are accepted, not “push”."),
        (b"{}", "ping", 200, "Ping received."),
    ],
)
def test_malformed_or_other_events_are_clear_errors(world, hooks, body, event, status, detail):
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = github(body, signature=signature, event=event)
    assert (response.status_code, response.json()["detail"]) == (status, detail)


@pytest.mark.parametrize("setting", ["DEPLOYDESK_GITHUB_WEBHOOK_SECRET", "DEPLOYDESK_HOOKS_USER"])
def test_without_a_secret_or_a_hooks_user_the_endpoint_is_switched_off(world, hooks, settings, setting):
    # given a deployment the event matches, and no secret or no hooks user configured
    d = target(world, hooks)
    setattr(settings, setting, "")
    # when a signed event arrives
    response = github_sample("github_deployment_status_success.json")
    # then the endpoint is not there, says why, and stores nothing
    assert (response.status_code, response.json()["code"]) == (404, "not_configured")
    assert HookDelivery.objects.count() == 0
    d.refresh_from_db()
    assert d.status == Status.APPROVED


# --- GitLab -------------------------------------------------------------------------------------------------------


def test_gitlab_success_with_the_token_completes_the_deployment(world, hooks):
    d = target(world, hooks, external_id="815")
    response = gitlab("gitlab_deployment_success.json")
    assert (response.status_code, response.json()["status"]) == (200, "completed")
    assert DeploymentEvent.objects.filter(deployment=d, token_name="GitLab events").count() == 5


def test_gitlab_running_then_failed(world, hooks):
    d = target(world, hooks, external_id="815")
    assert gitlab("gitlab_deployment_running.json", delivery="g-1").json()["status"] == "executing"
    assert gitlab("gitlab_deployment_failed.json", delivery="g-2").json()["status"] == "failed"
    d.refresh_from_db()
    assert d.outcome == "GitLab deployment 815 reported failed (https://gitlab.example.com/shop/shop-web/-/jobs/4242)"


@pytest.mark.parametrize(("token", "status"), [("", 401), ("wrong", 403)])
def test_gitlab_without_the_right_token_is_refused(world, hooks, token, status):
    d = target(world, hooks, external_id="815")
    response = gitlab("gitlab_deployment_success.json", token=token)
    assert response.status_code == status
    d.refresh_from_db()
    assert d.status == Status.APPROVED


def test_gitlab_replay_and_unmatched(world, hooks):
    # given no deployment with GitLab's ids
    # when the event arrives, then it matches nothing
    assert gitlab("gitlab_deployment_success.json", delivery="x").status_code == 404
    # and given it matches and is applied, its replay is refused
    target(world, hooks, external_id="4242")  # the job id matches too
    assert gitlab("gitlab_deployment_success.json", delivery="x").status_code == 200
    assert gitlab("gitlab_deployment_success.json", delivery="x").status_code == 409


def test_a_gitlab_event_without_a_delivery_id_is_refused(world, hooks):
    target(world, hooks, external_id="815")
    response = APIClient().post(
        "/api/v1/hooks/gitlab/",
        sample("gitlab_deployment_success.json"),
        content_type="application/json",
        HTTP_X_GITLAB_TOKEN=GITLAB_TOKEN,
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
