"""Factories of the reports' records: audit findings, raised through their service (so each has its history)."""

import datetime as dt

from django.utils import timezone

from apps.audit.context import AuditContext
from apps.reports.findings.services import finding_create
from apps.reports.models import AuditFinding


def raise_finding(
    *,
    actor,
    subject,
    owner,
    severity: str = "medium",
    title: str = "Evidence of the smoke test missing",
    description: str = "The acceptance check was passed without a link to the test run.",
    due_in_days: int = 14,
) -> AuditFinding:
    """A finding on a deployment, model or review (the kind is read from the subject's class), raised by `actor`."""
    subject_type = {"Deployment": "deployment", "DeploymentModel": "model", "ModelReview": "review"}[
        type(subject).__name__
    ]
    return finding_create(
        ctx=AuditContext(actor=actor),
        subject_type=subject_type,
        subject_id=subject.pk,
        severity=severity,
        title=title,
        description=description,
        owner=owner,
        due_date=timezone.localdate() + dt.timedelta(days=due_in_days),
    )
