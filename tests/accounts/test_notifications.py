"""Each person's choice of e-mail notices on their profile; mandatory notices stay on; every sender respects it."""

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import NotificationPreference
from apps.accounts.notices import NOTICE_KINDS, notice_recipients, notice_users, notification_preferences
from apps.audit.models import AuditEntry
from apps.deployments.tasks import remind_upcoming_deployments
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_the_profile_lists_every_kind_and_marks_the_mandatory_ones(world):
    client = Client()
    client.force_login(world.users["practitioner"])
    html = client.get("/accounts/profile/").content.decode()
    for kind in NOTICE_KINDS.values():
        assert kind.label in html
    assert html.count("Mandatory: always sent.") == sum(k.mandatory for k in NOTICE_KINDS.values())


def test_a_person_turns_a_notice_off_and_it_is_audited(world):
    user = world.users["practitioner"]
    client = Client()
    client.force_login(user)
    # unticked boxes are off; a mandatory one sent as off is ignored (the field is disabled)
    response = client.post("/accounts/notifications/", {"deployment_update": "on"})
    assert response.status_code == 302
    prefs = {p["key"]: p["email"] for p in notification_preferences(user=user)}
    assert prefs["deployment_update"] is True and prefs["deployment_reminder"] is False
    assert prefs["approval_needed"] is True and prefs["handover"] is True
    entry = AuditEntry.objects.filter(action="notifications", object_id=str(user.pk)).latest("id")
    assert entry.changes["deployment_reminder"] == [True, False]


def test_opted_out_addresses_and_users_are_left_out_but_not_for_mandatory_notices():
    keen, quiet = UserFactory(email="keen@example.com"), UserFactory(email="Quiet@Example.com")
    NotificationPreference.objects.create(user=quiet, kind="deployment_planned", email=False)
    emails = ["keen@example.com", "quiet@example.com", "outsider@example.com", "KEEN@example.com", ""]
    assert notice_recipients(kind="deployment_planned", emails=emails) == ["keen@example.com", "outsider@example.com"]
    assert notice_users(kind="deployment_planned", users=[keen, quiet]) == [keen]
    assert len(notice_recipients(kind="handover", emails=emails)) == 3


def test_the_reminder_respects_the_choice(world):
    import datetime as dt

    from django.utils import timezone

    from apps.deployments.workflow import Status
    from tests.factories.deployments import DeploymentFactory

    p = world.users["practitioner"]
    NotificationPreference.objects.create(user=p, kind="deployment_reminder", email=False)
    DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        status=Status.APPROVED,
        planned_start=timezone.now() + dt.timedelta(hours=5),
        practitioners=[p],
    )
    mail.outbox.clear()
    assert remind_upcoming_deployments() == 0
    assert mail.outbox == []
