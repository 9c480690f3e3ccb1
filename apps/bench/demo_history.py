"""The demo's year of history behind the showcase deployments: the bench generator run over the demo's own
environments, services, models and users, then the model reviews that year would have held (idempotent)."""

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.bench.dataset import generate
from apps.bench.reference import Sizes, reference_from
from apps.catalog.models import ComponentVersion, Service
from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.models import AlignmentRating, AlignmentRole, Deployment
from apps.deployments.rules import version_key
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.environments.models import Environment, EnvironmentKind
from apps.reviews.analysis import compute_analysis
from apps.reviews.models import ModelReview, ReviewDecision, ReviewKind, ReviewStatus
from apps.roles import definitions as roles

DEPLOYMENTS = 3000
SEED = 2026
# the hand-made showcase spans the last month; anything planned before this is history already seeded
SHOWCASE_DAYS = 60
QUARTERS = 4


def history_present(*, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return Deployment.objects.filter(planned_start__lt=now - dt.timedelta(days=SHOWCASE_DAYS)).exists()


def _members(role: str) -> list[int]:
    return list(get_user_model().objects.filter(groups__name=role).order_by("pk").values_list("pk", flat=True))


def _oldest_versions() -> list[ComponentVersion]:
    """Each component's oldest version: the history never leaves a newer version in an environment than the
    showcase deploys there, so the showcase's plans are not downgrades and "what is where" reads forward."""
    oldest: dict[int, ComponentVersion] = {}
    for v in ComponentVersion.objects.select_related("component").order_by("pk"):
        held = oldest.get(v.component_id)
        if held is None or version_key(v.version) < version_key(held.version):
            oldest[v.component_id] = v
    return list(oldest.values())


def _reference() -> dict | None:
    environments = list(Environment.objects.order_by("order", "pk"))
    services = list(Service.objects.order_by("pk"))
    models_ = list(DeploymentModel.objects.filter(status=ModelStatus.ACTIVE).order_by("pk"))
    managers, practitioners = _members(roles.MANAGER), _members(roles.PRACTITIONER)
    requesters = _members(roles.PRODUCT_OWNER) + _members(roles.SERVICE_OWNER)
    needed = (environments, services, managers, practitioners, requesters)
    if not all(needed) or not any(e.kind == EnvironmentKind.PRODUCTION for e in environments):
        return None
    return reference_from(
        environments=environments,
        services=services,
        models_=models_,
        versions=_oldest_versions(),
        managers=managers,
        practitioners=practitioners,
        requesters=requesters,
    )


def _quarters(today: dt.date, n: int) -> list[tuple[dt.date, dt.date]]:
    """The last `n` calendar quarters that have ended, oldest first."""
    first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out = []
    for _ in range(n):
        end = first - dt.timedelta(days=1)
        first = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
        out.append((first, end))
    return out[::-1]


def seed_reviews(*, today: dt.date | None = None) -> int:
    """A completed scheduled review of every active model for each of the last four quarters, on its analysis."""
    today = today or timezone.localdate()
    facilitator = get_user_model().objects.filter(groups__name=roles.MANAGER).order_by("pk").first()
    made = 0
    for model in DeploymentModel.objects.filter(status=ModelStatus.ACTIVE).order_by("pk"):
        for start, end in _quarters(today, QUARTERS):
            if ModelReview.objects.filter(model=model, kind=ReviewKind.SCHEDULED, period_start=start).exists():
                continue
            analysis = compute_analysis(model=model, start=start, end=end)
            failed = (analysis.get("failed") or 0) + (analysis.get("rolled_back") or 0)
            held = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=10), dt.time(10)))
            ModelReview.objects.create(
                model=model,
                kind=ReviewKind.SCHEDULED,
                status=ReviewStatus.COMPLETED,
                period_start=start,
                period_end=end,
                due_date=end + dt.timedelta(days=14),
                facilitator=facilitator,
                reason="Quarterly review.",
                analysis=analysis,
                findings=f"{analysis.get('deployments', 0)} deployments in the quarter, {failed} failed or rolled "
                "back. Failures traced to environment drift and missing smoke tests.",
                lessons_learnt="Keep the standing checks current; rehearse the rollback before production windows.",
                decision=ReviewDecision.KEEP,
                started_at=held,
                completed_at=held + dt.timedelta(hours=2),
            )
            made += 1
    return made


def seed_history(*, deployments: int = DEPLOYMENTS, seed: int = SEED, out=None) -> dict:
    """A year of history ending today over the demo's reference data, once; returns the counts (empty when the
    history is already there or the demo's reference data is missing)."""
    if history_present():
        return {}
    reference = _reference()
    if reference is None:
        return {}
    sizes = Sizes(deployments=deployments, years=1, days_ahead=0)
    with transaction.atomic():
        counts = generate(
            sizes, seed=seed, chunk=deployments, out=out or io.StringIO(), reference=reference, bulk=False
        )
        counts["reviews"] = seed_reviews()
        counts["alignment_ratings"] = seed_alignment()
        kpi_rollup_rebuild()  # the answered alignment ratings count in the KPI rollups
    return counts


def seed_alignment() -> int:
    """The partners' and consumers' answers to the alignment question: one in five completed deployments of the
    history asked its supplier's and its consumers' contacts, who answered a day later (3 to 5, most often 4)."""
    completed = Deployment.objects.filter(status="completed", actual_end__isnull=False).order_by("pk")
    ratings = []
    for d in completed.only("pk", "actual_end", "supplier_id").iterator():
        if d.pk % 5:
            continue
        answered = d.actual_end + dt.timedelta(days=1)
        ratings.append(
            AlignmentRating(
                deployment_id=d.pk,
                email="consumers@demo.example",
                role=AlignmentRole.CONSUMER,
                rating=3 + (d.pk // 5) % 3,
                answered_at=answered,
            )
        )
        if d.supplier_id:
            ratings.append(
                AlignmentRating(
                    deployment_id=d.pk,
                    email=f"supplier-{d.supplier_id}@demo.example",
                    role=AlignmentRole.SUPPLIER,
                    rating=4 + (d.pk // 5) % 2,
                    answered_at=answered,
                )
            )
    AlignmentRating.objects.bulk_create(ratings, ignore_conflicts=True)
    return len(ratings)
