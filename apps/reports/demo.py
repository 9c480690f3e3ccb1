"""Demo data for reports: the "what is where" snapshot rebuilt from the demo deployments just seeded
(the demo dates some completions after walking them through the process, so the kept snapshot is recomputed), and a
few audit findings on the demo's deployments, models and reviews, at different points of their life."""

import datetime as dt

from django.utils import timezone

from apps.audit.context import AuditContext
from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.models import Deployment
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild
from apps.deployments.workflow import Status
from apps.reports.findings.services import finding_change_status, finding_create
from apps.reports.models import AuditFinding, KpiTarget
from apps.reports.targets.services import kpi_target_set
from apps.reviews.models import ModelReview, ReviewStatus

# (title, subject kind, severity, description, owner, raised by, due in days, status moves [(who, status, reason)])
DEMO_FINDINGS = [
    (
        "Production change approved without an authorised change reference",
        "deployment",
        "high",
        "The deployment reached production with no change record: nobody can tell which change authorised it.",
        "manager",
        "auditor",
        14,
        [],
    ),
    (
        "Acceptance evidence is a chat screenshot",
        "deployment",
        "critical",
        "The acceptance check passed with a screenshot of a chat message as its only evidence; attach the test run.",
        "practitioner",
        "auditor",
        -3,
        [("practitioner", "accepted", "Agreed: the smoke test report will be attached from now on.")],
    ),
    (
        "Rollback procedure not rehearsed for six months",
        "model",
        "medium",
        "The model's back-out procedure was last rehearsed more than six months ago.",
        "manager",
        "auditor",
        30,
        [
            ("manager", "accepted", "Rehearsal planned in the next maintenance window."),
            ("manager", "remediated", "Rehearsed in staging; the date is recorded on the model."),
        ],
    ),
    (
        "Review decision recorded without lessons learnt",
        "review",
        "low",
        "The review completed with a decision but no lessons learnt, so the next review has nothing to compare.",
        "manager",
        "manager",
        7,
        [
            ("manager", "remediated", "Lessons learnt added from the meeting notes."),
            ("manager", "closed", "Checked by the auditor: the lessons are recorded."),
        ],
    ),
]


def _subjects() -> dict:
    deployments = Deployment.objects.filter(status=Status.COMPLETED).order_by("-actual_end", "-pk")
    return {
        "deployment": list(deployments[:2]),
        "model": list(DeploymentModel.objects.filter(status=ModelStatus.ACTIVE).order_by("name", "pk")[:1]),
        "review": list(ModelReview.objects.filter(status=ReviewStatus.COMPLETED).order_by("pk")[:1]),
    }


def seed_findings(users: dict) -> None:
    """Idempotent: a demo finding is found by its title before it is raised."""
    subjects = _subjects()
    used = {"deployment": 0, "model": 0, "review": 0}
    for title, kind, severity, description, owner, raiser, due_in, moves in DEMO_FINDINGS:
        candidates = subjects[kind]
        if used[kind] >= len(candidates) or owner not in users or raiser not in users:
            continue
        subject = candidates[used[kind]]
        used[kind] += 1
        if AuditFinding.objects.filter(title=title).exists():
            continue
        finding = finding_create(
            ctx=AuditContext(actor=users[raiser]),
            subject_type=kind,
            subject_id=subject.pk,
            severity=severity,
            title=title,
            description=description,
            owner=users[owner],
            due_date=timezone.localdate() + dt.timedelta(days=due_in),
        )
        for who, status, reason in moves:
            finding = finding_change_status(
                ctx=AuditContext(actor=users[who]), finding=finding, status=status, reason=reason
            )


# (metric, target, amber band or None for the metric's default): a manager's targets, so the KPI page shows colours
DEMO_TARGETS = [
    ("success_rate", 90, None),
    ("change_failure_rate", 15, None),
    ("incident_rate", 10, None),
    ("schedule_adherence", 85, None),
    ("lead_time_median_hours", 48, 12),
    ("satisfaction_rate_of_change", 4, None),
    ("satisfaction_quality", 4, None),
    ("model_adoption_rate", 95, None),
    ("audit_findings", 2, 2),
    ("compliance_exceptions", 1, 1),
]


def seed_targets(users: dict) -> None:
    """The demo manager's KPI targets, set through the service (audited); idempotent: set once."""
    if "manager" not in users or KpiTarget.objects.exists():
        return
    for metric, target, band in DEMO_TARGETS:
        kpi_target_set(ctx=AuditContext(actor=users["manager"]), metric=metric, target=target, amber_band=band)


def seed(users) -> None:
    matrix_snapshot_rebuild()
    kpi_rollup_rebuild()  # the demo's deployments are loaded as they are, not through the transitions
    seed_findings(users)
    seed_targets(users)
