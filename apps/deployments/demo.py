"""Demo deployments for `make run`: every status, reached through the services so the timelines are real.

Runs after the environments, catalog and deployment-models seeds and looks their objects up by slug and name;
a deployment whose environment, service, component or version is missing is skipped. Idempotent by title.
Windows are relative to now; finished deployments get their actual times moved into their (past) window.
"""

import datetime as dt
import logging
import zlib
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.catalog.models import ComponentVersion
from apps.core.exceptions import ConflictError
from apps.deployment_models.models import DeploymentModel, Trigger
from apps.deployments import workflow
from apps.deployments.models import Action, Deployment
from apps.deployments.services import (
    Context,
    check_record,
    deployment_create,
    deployment_release,
    deployment_transition,
    deployment_update,
    feedback_submit,
    incident_link_add,
    problem_add,
    step_record,
)
from apps.deployments.services.handover import deployment_handover_set, handover_required
from apps.environments.models import Environment

logger = logging.getLogger(__name__)
S = workflow.Status
SW = "Software developed in house"
PATH = ["submit", "approve", "start", "confirm-components", "confirm-environment", "finish-execution", "complete"]
STEPS_TO = {
    S.DRAFT: 0,
    S.PENDING_APPROVAL: 1,
    S.APPROVED: 2,
    S.VERIFYING_COMPONENTS: 3,
    S.VERIFYING_ENVIRONMENT: 4,
    S.EXECUTING: 5,
    S.VERIFYING: 6,
    S.COMPLETED: 7,
}

# title, service, component, version, environment slug, model name, status, start (hours from now), extras
DEPLOYMENTS = [
    ("shop-web 2.4.0 to integration", "Online shop", "shop-web", "2.4.0", "integration", SW, S.COMPLETED, -720, {}),
    ("shop-web 2.4.0 to test", "Online shop", "shop-web", "2.4.0", "test", SW, S.COMPLETED, -650, {"rate": (5, 4)}),
    ("shop-web 2.4.0 to staging", "Online shop", "shop-web", "2.4.0", "staging", SW, S.COMPLETED, -500,
     {"rate": (3, 4), "owner_rate": (4, 4), "incident": ("INC-20417", "Basket totals wrong for vouchers", "high")}),
    ("shop-web 2.4.1 to integration", "Online shop", "shop-web", "2.4.1", "integration", SW, S.COMPLETED, -240, {}),
    ("shop-web 2.4.1 to test", "Online shop", "shop-web", "2.4.1", "test", SW, S.COMPLETED, -190,
     {"rate": (4, 5), "unreleased": True}),
    ("Leave policy 2024 retired from test", "HR portal", "Leave policy", "2024", "test", None, S.COMPLETED, -70,
     {"action": Action.REMOVE, "trigger": Trigger.RETIREMENT}),
    ("shop-search 7.2 to test", "Online shop", "shop-search", "7.2", "test", None, S.ROLLED_BACK, -120,
     {"fail_at": S.EXECUTING, "incident": ("INC-20502", "Search returns no results", "critical"),
      "problem": ("Index schema of 7.2 incompatible with the stored synonyms.", "high")}),
    ("Analytics platform licence FY25 to test", "Data warehouse", "Analytics platform licence", "FY25", "test", None,
     S.FAILED, -30, {"fail_at": S.VERIFYING_COMPONENTS}),
    ("Customer master data 2024-06 to integration", "Data warehouse", "Customer master data", "2024-06",
     "integration", SW, S.VERIFYING, -20, {}),
    ("Branch router RTR-9000 rev C to test", "Branch office network", "Branch router", "RTR-9000 rev C", "test", None,
     S.VERIFYING_COMPONENTS, -16, {}),
    ("Branch network roll-out procedure 1.1 to test", "Branch office network", "Branch network roll-out procedure",
     "1.1", "test", None, S.VERIFYING_ENVIRONMENT, -12, {}),
    ("Customer master data 2024-07 to test", "Data warehouse", "Customer master data", "2024-07", "test", None,
     S.EXECUTING, -4, {}),
    ("shop-web 2.4.1 to staging", "Online shop", "shop-web", "2.4.1", "staging", SW, S.APPROVED, 50, {}),
    ("hr-portal-app 1.9.0 to staging", "HR portal", "hr-portal-app", "1.9.0", "staging", None, S.APPROVED, 98, {}),
    ("payment-gateway 5.1.0 to staging", "Payments", "payment-gateway", "5.1.0", "staging", None,
     S.PENDING_APPROVAL, 122, {}),
    ("shop-web 2.4.0 to production", "Online shop", "shop-web", "2.4.0", "production", SW,
     S.PENDING_APPROVAL, "saturday", {}),
    ("Card tokenisation 2024.2 to integration", "Payments", "Card tokenisation service", "2024.2", "integration",
     None, S.REJECTED, 146, {"reject": "Wait for the provider's certificate rotation next month."}),
    ("payment-gateway 5.0.2 to test", "Payments", "payment-gateway", "5.0.2", "test", None, S.CANCELLED, 170,
     {"cancel": "Superseded by 5.1.0."}),
    ("Shop operations runbook 4 to test", "Online shop", "Shop operations runbook", "4", "test", None, S.DRAFT, 194,
     {}),
]  # fmt: skip


def _saturday_window(now: dt.datetime) -> dt.datetime:
    """23:00 London on a Saturday at least a week ahead: inside the demo production maintenance window."""
    london = now.astimezone(ZoneInfo("Europe/London"))
    days = (5 - london.weekday()) % 7 + 7
    local = (london + dt.timedelta(days=days)).replace(hour=23, minute=0, second=0, microsecond=0)
    return local.astimezone(dt.UTC)


def _requester(users, service):
    if users.get("productowner") and service.product_owners.filter(pk=users["productowner"].pk).exists():
        return users["productowner"]
    if users.get("serviceowner") and service.owners.filter(pk=users["serviceowner"].pk).exists():
        return users["serviceowner"]
    return users["practitioner"]


def _step(deployment, name: str, actor, manager, comment: str = "") -> Deployment:
    """Take one transition on the system channel; a conflict of the demo clock is overridden by the manager."""
    try:
        return deployment_transition(
            ctx=Context(actor=actor, channel="system"), deployment=deployment, transition=name, comment=comment
        )
    except ConflictError as exc:
        if exc.code not in ("schedule_conflict", "freeze", "promotion_gate"):
            raise
        return deployment_transition(
            ctx=Context(actor=manager, channel="system"),
            deployment=deployment,
            transition=name,
            comment=comment,
            override_reason=f"Demo data: {exc.message}",
        )


def _pass_checks(deployment, kinds: tuple, actor) -> None:
    """Pass the checks of a gate with evidence, as the evidence rules ask."""
    for check in deployment.checks.filter(kind__in=kinds).select_related("component_version"):
        observed = check.component_version.checksum if check.component_version_id else ""
        check_record(
            ctx=Context(actor=actor, channel="system"),
            check=check,
            result="pass",
            evidence="Verified by the demo run.",
            observed_checksum=observed,
        )


def _tick_steps(deployment, actor) -> None:
    """The practitioner ticks off the step plan before finishing the execution (the last one skipped, with why,
    where there are several)."""
    steps = list(deployment.steps.filter(status="pending"))
    for step in steps:
        skip = len(steps) > 3 and step is steps[-1]
        step_record(
            ctx=Context(actor=actor, channel="system"),
            step=step,
            status="skipped" if skip else "done",
            note="Covered by the acceptance check." if skip else "",
        )


RELEASE_AFTER = dt.timedelta(hours=26)  # the demo's completed deployments are released a day after they end


GATE_KINDS = {
    "start": ("entry",),
    "confirm-components": ("component",),
    "confirm-environment": ("environment",),
    "complete": ("acceptance", "exit"),
}


def _write_handover(deployment, practitioner) -> None:
    """A production deployment is handed over to the service desk with a note before it completes."""
    deployment_handover_set(
        ctx=Context(actor=practitioner, channel="system"),
        deployment=deployment,
        handover_note=f"{deployment.title}: release notes published; known-error records updated; the service desk "
        "script for the changed screens is attached.",
        knowledge_links=[f"https://kb.example.com/{deployment.service.slug}/release-notes"],
    )


def _walk(deployment, target: str, users, extras) -> Deployment:
    manager, practitioner = users["manager"], users["practitioner"]
    fail_at = extras.get("fail_at")
    steps = PATH[: STEPS_TO.get(fail_at or target, 0)]
    for name in steps:
        deployment.refresh_from_db()
        if name == "submit":
            deployment = _step(deployment, "submit", deployment.requester, manager)
        elif name == "approve":
            if deployment.status == S.APPROVED:
                continue
            deployment = _step(deployment, "approve", manager, manager, "Plan and window agreed.")
        else:
            if name in GATE_KINDS:
                _pass_checks(deployment, GATE_KINDS[name], practitioner)
            if name == "finish-execution":
                _tick_steps(deployment, practitioner)
            if name == "complete" and handover_required(deployment):
                _write_handover(deployment, practitioner)
            deployment = _step(deployment, name, practitioner, manager)
    if fail_at:
        deployment = _step(deployment, "fail", practitioner, manager, "Smoke test failed after the change.")
        if target == S.ROLLED_BACK:
            deployment = _step(deployment, "roll-back", practitioner, manager, "Previous version restored.")
    if "reject" in extras:
        deployment = _step(deployment, "submit", deployment.requester, manager)
        deployment = _step(deployment, "reject", manager, manager, extras["reject"])
    if "cancel" in extras:
        deployment = _step(deployment, "cancel", deployment.requester, manager, extras["cancel"])
    return deployment


@transaction.atomic
def _seed_one(spec, users, now) -> Deployment | None:
    title, service_name, component, version, env_slug, model_name, target, offset, extras = spec
    environment = Environment.objects.filter(slug=env_slug).first()
    cv = (
        ComponentVersion.objects.select_related("component__service")
        .filter(component__service__name=service_name, component__name=component, version=version)
        .first()
    )
    if environment is None or cv is None:
        logger.info("Demo deployment %r skipped: its environment or version is missing.", title)
        return None
    model = DeploymentModel.objects.filter(name=model_name, status="active").first() if model_name else None
    start = _saturday_window(now) if offset == "saturday" else now + dt.timedelta(hours=offset)
    service = cv.component.service
    requester = _requester(users, service)
    deployment = deployment_create(
        ctx=Context(actor=requester, channel="system"),
        data={
            "title": title,
            "action": extras.get("action", Action.DEPLOY),
            "trigger": extras.get("trigger", Trigger.RELEASE),
            "service": service,
            "environment": environment,
            "model": model if model is not None and model.stages.filter(environment=environment).exists() else None,
            "component_versions": [cv],
            "planned_start": start,
            "planned_end": start + dt.timedelta(hours=2),
            "requirements": f"Bring {cv.component.name} {cv.version} to {environment.name}.",
            "acceptance_criteria": "Service health check green",
            "change_ref": f"CHG{zlib.crc32(title.encode()) % 10_000_000:07d}",
        },
    )
    if target != S.DRAFT:
        deployment = deployment_update(
            ctx=Context(actor=users["manager"], channel="system"),
            deployment=deployment,
            data={"manager": users["manager"], "practitioners": [users["practitioner"]]},
            expected_version=None,
        )
    deployment = _walk(deployment, target, users, extras)
    if deployment.status in workflow.FINISHED:
        # the demo runs now; put the actual times into the planned window so the KPIs look like history
        Deployment.objects.filter(pk=deployment.pk).update(
            submitted_at=start - dt.timedelta(days=3),
            approved_at=start - dt.timedelta(days=1),
            actual_start=start + dt.timedelta(minutes=5),
            actual_end=start + dt.timedelta(minutes=95),
        )
    ctx = Context(actor=users["manager"], channel="system")
    if deployment.status == S.COMPLETED and not deployment.is_removal and not extras.get("unreleased"):
        deployment_release(ctx=ctx, deployment=deployment, release_ref=f"REL-{cv.component.name}-{cv.version}")
        Deployment.objects.filter(pk=deployment.pk).update(released_at=start + dt.timedelta(minutes=95) + RELEASE_AFTER)
    if "incident" in extras:
        ref, incident_title, severity = extras["incident"]
        incident_link_add(
            ctx=ctx,
            deployment=deployment,
            incident_ref=ref,
            title=incident_title,
            severity=severity,
            opened_at=start + dt.timedelta(hours=3),
        )
    if "problem" in extras:
        problem_add(ctx=ctx, deployment=deployment, description=extras["problem"][0], severity=extras["problem"][1])
    if "rate" in extras and deployment.status == S.COMPLETED:
        lead, quality = extras["rate"]
        feedback_submit(
            ctx=Context(actor=deployment.requester, channel="web"),
            deployment=deployment,
            rating_lead_time=lead,
            rating_quality=quality,
            rating_rate_of_change=min(5, quality + 1) if lead >= 3 else 2,
            comment="Went as planned." if quality >= 4 else "Late, and a follow-up fix was needed.",
        )
    if "owner_rate" in extras and users.get("serviceowner") and service.owners.filter(pk=users["serviceowner"].pk):
        lead, quality = extras["owner_rate"]
        feedback_submit(
            ctx=Context(actor=users["serviceowner"], channel="web"),
            deployment=deployment,
            rating_lead_time=lead,
            rating_quality=quality,
            rating_rate_of_change=max(1, lead - 1),
        )
    return deployment


def seed(users: dict) -> None:
    """About twenty deployments in every status across the demo services and environments (idempotent)."""
    if not {"manager", "practitioner"} <= set(users):
        return
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for spec in DEPLOYMENTS:
        if Deployment.objects.filter(title=spec[0]).exists():
            continue
        try:
            _seed_one(spec, users, now)
        except Exception as exc:  # noqa: BLE001 — one demo row must not stop `make run`; the log says which
            logger.warning("Demo deployment %r skipped: %s", spec[0], exc)
