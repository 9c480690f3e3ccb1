"""Clearances apply to every controlled environment: a practitioner needs a valid one to start (and take the other
practitioner transitions); an expired one is a 403 naming the expiry; expiring ones are listed for managers and
reminded once per expiry by the worker."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.mail_outbox import mail_send_due
from apps.core.models import OutboxMail
from apps.deployments import permissions, workflow
from apps.deployments.services import Context, deployment_transition
from apps.environments.models import Clearance
from apps.environments.services import clearance_reminders_send, environment_clear_practitioner
from apps.environments.tasks import remind_expiring_clearances
from apps.reviews.schedules import SCHEDULES
from tests.factories.accounts import UserFactory, token_for
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
START = workflow.TRANSITIONS["start"]


def _approved(w, environment, practitioner):
    return DeploymentFactory(
        service=w.service,
        environment=environment,
        status=workflow.Status.APPROVED,
        versions=[w.version_2],
        practitioners=[practitioner],
    )


def _expire(clearance, *, days_ago=1):
    Clearance.objects.filter(pk=clearance.pk).update(expires_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.mark.parametrize(("controlled", "allowed"), [(True, False), (False, True)])
def test_every_controlled_environment_needs_a_clearance_not_only_production(world, controlled, allowed):
    # given a staging-like environment, controlled or not, and an assigned practitioner without clearance
    env = EnvironmentFactory(name="Pre-live", kind="staging", controlled=controlled, allows_parallel_deployments=True)
    nina = UserFactory(roles=["practitioner"])
    deployment = _approved(world, env, nina)
    # then only an uncontrolled one lets her start
    assert bool(permissions.actor_capacities(nina, deployment, START)) is allowed


def test_a_clearance_for_a_controlled_environment_lets_the_practitioner_start(world):
    env = EnvironmentFactory(name="Integration", kind="integration", controlled=True, allows_parallel_deployments=True)
    nina = UserFactory(roles=["practitioner"])
    environment_clear_practitioner(environment=env, user=nina, actor=world.users["manager"], reason="On call")
    deployment = _approved(world, env, nina)
    assert permissions.actor_capacities(nina, deployment, START) == {workflow.PRACTITIONER}


@pytest.mark.parametrize("transition", ["start", "confirm-components", "fail"])
def test_an_expired_clearance_stops_the_practitioner_with_a_403_naming_the_expiry(world, transition):
    env = EnvironmentFactory(name="Acceptance", kind="test", controlled=True, allows_parallel_deployments=True)
    nina = UserFactory(roles=["practitioner"])
    clearance = environment_clear_practitioner(
        environment=env,
        user=nina,
        actor=world.users["manager"],
        reason="Audit",
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    deployment = _approved(world, env, nina)
    if transition != "start":
        deployment.status = workflow.Status.VERIFYING_COMPONENTS
        deployment.save(update_fields=["status"])
    _expire(clearance)
    clearance.refresh_from_db()
    with pytest.raises(PermissionDenied) as caught:
        deployment_transition(ctx=Context(actor=nina), deployment=deployment, transition=transition, comment="x")
    assert f"expired on {clearance.expires_at:%Y-%m-%d %H:%M} UTC" in str(caught.value)
    deployment.refresh_from_db()
    assert deployment.actual_start is None


def test_the_api_answers_403_naming_the_expiry(world, api_client):
    env = EnvironmentFactory(name="Pre-prod", kind="staging", controlled=True, allows_parallel_deployments=True)
    nina = UserFactory(roles=["practitioner"])
    clearance = environment_clear_practitioner(
        environment=env, user=nina, actor=world.users["manager"], expires_at=timezone.now() + dt.timedelta(days=1)
    )
    deployment = _approved(world, env, nina)
    _expire(clearance, days_ago=2)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(nina)}")
    response = api_client.post(f"/api/v1/deployments/{deployment.pk}/start/", {}, format="json")
    assert response.status_code == 403
    assert "clearance for Pre-prod expired on" in response.json()["detail"]
    gate = api_client.get(f"/api/v1/deployments/{deployment.pk}/gate/").json()
    assert gate["may_start"] is False and "expired on" in gate["reasons"][0]["detail"]


def test_a_manager_starts_whatever_the_clearances(world):
    env = EnvironmentFactory(name="Hardware lab", kind="test", controlled=True, allows_parallel_deployments=True)
    deployment = _approved(world, env, UserFactory(roles=["practitioner"]))
    assert workflow.MANAGER in permissions.actor_capacities(world.users["manager"], deployment, START)


def test_each_clearance_carries_reason_granter_and_optional_expiry(world, api_client):
    api_client.force_authenticate(world.users["manager"])
    nina = UserFactory(roles=["practitioner"])
    body = {"user": nina.pk, "reason": "Trained on the DR runbook", "expires_at": "2099-01-01T00:00:00Z"}
    created = api_client.post(f"/api/v1/environments/{world.env_staging.pk}/clearances/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["granted_by"] == world.users["manager"].pk and data["reason"] == "Trained on the DR runbook"
    assert data["expires_at"].startswith("2099-01-01")


# --- expiring clearances: the page and the worker's reminders ---------------------------------------------------


def _expiring(w, *, days=5, granted_by=None):
    nina = UserFactory(roles=["practitioner"])
    return environment_clear_practitioner(
        environment=w.env_prod,
        user=nina,
        actor=granted_by or w.users["manager"],
        reason="Release weekend",
        expires_at=timezone.now() + dt.timedelta(days=days),
    )


def test_managers_see_the_clearances_expiring_within_14_days(world, django_assert_max_num_queries):
    soon_ = [_expiring(world, days=d) for d in (2, 5, 9)]
    later = _expiring(world, days=40)
    client = Client()
    client.force_login(world.users["manager"])
    with django_assert_max_num_queries(12):
        response = client.get("/clearances/expiring/")
    assert response.status_code == 200
    assert [c.pk for c in response.context["clearances"]] == [c.pk for c in soon_]
    assert later.pk not in [c.pk for c in response.context["clearances"]]
    wider = client.get("/clearances/expiring/?days=60")
    assert later.pk in [c.pk for c in wider.context["clearances"]]


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", "norole"])
def test_others_may_not_see_the_expiring_clearances(world, role):
    client = Client()
    client.force_login(world.users[role])
    assert client.get("/clearances/expiring/").status_code == 403


def test_the_worker_reminds_holder_and_granter_once_per_expiry(world, django_capture_on_commit_callbacks):
    # given a clearance expiring in five days and one expiring in forty
    clearance = _expiring(world, days=5)
    _expiring(world, days=40)
    mail.outbox.clear()
    # when the worker runs twice (the message leaves the mail outbox after commit)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_expiring_clearances() == 1
        assert remind_expiring_clearances() == 0
    # then one reminder went to the holder and the manager who granted it, and the audit trail says so
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {clearance.user.email, world.users["manager"].email}
    assert "expires" in mail.outbox[0].subject
    assert AuditEntry.objects.filter(object_type="environments.clearance", action="reminded").count() == 1
    # and a renewed clearance, with a new expiry, is reminded again
    environment_clear_practitioner(
        environment=clearance.environment,
        user=clearance.user,
        actor=world.users["manager"],
        expires_at=timezone.now() + dt.timedelta(days=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert clearance_reminders_send() == 1
    assert len(mail.outbox) == 2


def test_a_mail_server_that_is_down_does_not_lose_the_reminder(world, settings, django_capture_on_commit_callbacks):
    # given a mail server that refuses connections
    _expiring(world, days=3)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    # when the worker reminds, nothing leaves, and the next run does not remind twice
    with django_capture_on_commit_callbacks(execute=True):
        assert clearance_reminders_send() == 1
    assert clearance_reminders_send() == 0
    queued = OutboxMail.objects.get(subject__contains="expires")
    assert (queued.sent_at, queued.attempts) == (None, 1)
    # then, once the mail server is back, the mail outbox sends the reminder, once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_due(now=queued.next_attempt_at) == 1
    assert mail_send_due(now=queued.next_attempt_at) == 0
    assert [m.subject for m in mail.outbox] == [queued.subject]


def test_the_reminder_schedule_is_registered_like_the_others():
    func, kind, _ = SCHEDULES["environments: remind holders of expiring clearances"]
    assert func == "apps.environments.tasks.remind_expiring_clearances" and kind == "D"
