"""The scope world: the shared world with records on both sides of the owners' scope.

In scope (w.service): w.deployment walked to completed. Out of scope (w.other_service, owned by nobody in the world):
w.other_deployment walked to completed with a comment, an incident, a problem and the requester's feedback, and
w.other_failed, a failed deployment of w.model (a model w.service uses too) with an incident, finished inside the
period of w.review, which is then started so its analysis lists it.
"""

import datetime as dt

from django.utils import timezone

from apps.deployments.models import IncidentLink
from apps.deployments.services import Context, comment_add, feedback_submit, incident_link_add, problem_add
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from apps.reports.services import calendar_feed_token_rotate
from apps.reviews.services import review_start
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory, advance
from tests.world import build_world

SCOPED = ("service_owner", "product_owner")  # see only w.service's deployments (and their own requests)
SEES_ALL = ("manager", "practitioner", "auditor")


def build_scope_world():
    w = build_world()
    manager, practitioner = w.users["manager"], w.users["practitioner"]
    second_manager = UserFactory(username="manager2", roles=["manager"])
    w.deployment = advance(w.deployment, to=Status.COMPLETED, manager=manager, practitioner=practitioner)
    w.other_deployment = advance(w.other_deployment, to=Status.COMPLETED, manager=manager, approvers=[second_manager])
    ctx = Context(actor=manager)
    comment_add(ctx=ctx, deployment=w.other_deployment, comment="Payroll went fine")
    incident_link_add(ctx=ctx, deployment=w.other_deployment, incident_ref="INC-PAY-1", title="Payslips late")
    problem_add(ctx=ctx, deployment=w.other_deployment, description="Payroll batch slow", severity="low")
    w.other_feedback = feedback_submit(
        ctx=ctx, deployment=w.other_deployment, rating_lead_time=2, rating_quality=1, comment="Payroll rating"
    )
    ended = timezone.now() - dt.timedelta(days=5)
    w.other_failed = DeploymentFactory(
        title="Payroll hotfix (out of scope)",
        service=w.other_service,
        environment=w.env_prod,
        model=w.model,
        requester=manager,
        status=Status.FAILED,
        versions=[w.other_version],
        planned_start=ended - dt.timedelta(hours=3),
        planned_end=ended,
    )
    type(w.other_failed).objects.filter(pk=w.other_failed.pk).update(
        actual_start=ended - dt.timedelta(hours=2), actual_end=ended, submitted_at=ended - dt.timedelta(days=1)
    )
    w.other_failed.refresh_from_db()
    IncidentLink.objects.create(
        deployment=w.other_failed, incident_ref="INC-PAY-2", title="Payroll down", opened_at=ended, created_by=manager
    )
    kpi_rollup_rebuild()  # w.other_failed was written by a factory, not by the services that keep rollups and counts
    w.review = review_start(review=w.review, actor=manager)
    w.out_of_scope = [w.other_deployment, w.other_failed]
    w.feed_keys = {role: calendar_feed_token_rotate(user=w.users[role])[1] for role in (*SCOPED, *SEES_ALL)}
    return w


def in_scope_ids(w, role: str) -> set[int]:
    """What `role` may see by DESIGN.md §1, computed from the world rather than by the selector under test."""
    from apps.deployments.models import Deployment

    qs = Deployment.objects.all()
    if role in SCOPED:
        user = w.users[role]
        qs = qs.filter(service=w.service) | qs.filter(requester=user) | qs.filter(practitioners=user)
    return set(qs.values_list("pk", flat=True))
