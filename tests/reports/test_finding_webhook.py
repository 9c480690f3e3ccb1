"""Raising a finding reaches the outbound webhooks that asked for "audit_finding.raised" (and only after commit)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.audit.context import AuditContext
from apps.integrations.models import WebhookDelivery
from apps.reports.findings.services import finding_create
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.integrations import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_raising_a_finding_delivers_the_event_to_a_subscribed_webhook(django_capture_on_commit_callbacks):
    # given a manager's webhook that wants audit findings, and an auditor
    hook = WebhookSubscriptionFactory(events=["audit_finding.raised"])
    auditor = UserFactory(roles=["auditor"])
    model = DeploymentModelFactory()
    # when the auditor raises a finding on a model and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_create(
            ctx=AuditContext(actor=auditor),
            subject_type="model",
            subject_id=model.pk,
            severity="critical",
            title="No rollback procedure",
            description="The model has no back-out procedure at all.",
            owner=hook.owner,
            due_date=timezone.localdate() + dt.timedelta(days=7),
        )
    # then one delivery of "audit_finding.raised" carries the finding
    delivery = WebhookDelivery.objects.get(subscription=hook)
    body = json.loads(delivery.body)
    assert delivery.event == "audit_finding.raised"
    assert body["audit_finding"]["id"] == finding.pk
    assert (body["audit_finding"]["subject_type"], body["audit_finding"]["subject_id"]) == ("model", model.pk)
    assert (body["audit_finding"]["severity"], body["audit_finding"]["title"]) == ("critical", "No rollback procedure")
