"""A known set of deployments whose every KPI is worked out by hand in the tests (March 2025, four weeks).

Period 2025-03-03 (Mon) .. 2025-03-30 (Sun): 28 days = 4 weeks. Times are UTC.

dep  status       env  svc model     planned      actual                submitted    notes
d1   completed    prod A   M1 active 03-04 10-12  03-04 10-11           03-03 10:00  lead 25 h; feedback 4/5, 2/3
d2   completed    test A   M1        03-05 10-12  03-05 10:30-13        03-04 13:00  lead 24 h; late; check pending
d3   failed       prod A   -         03-10 10-12  03-10 10-11           03-09 11:00  incident fixed in 24 h; 2 overrides
d4   completed    prod A   M1        03-11 10-12  03-11 10-11           03-10 11:00  lead 24 h; incident (open)
d5   rolled_back  test B   M2 draft  03-12 10-12  03-12 09-10           03-11 09:00  started early
d6   completed    test B   M1        03-18 10-12  03-18 10-11           03-13 11:00  lead 120 h; feedback 5/4
d7   completed    prod B   M1        03-25 10-12  03-25 10-12           03-25 08:00  lead 4 h
d15  failed       prod B   M3 pilot  03-27 10-12  03-27 10-11           03-26 10:00  never restored
d8   approved     test A   M1        04-10                                           backlog
d9   approved     test B   -         04-11                                           backlog
d10  draft        test A   M1        03-20                                           not planned
d11  cancelled    test B   M1        03-21                                           not planned
d12  pending      test B   M1        03-28                              03-20        1 override
d13  completed    prod A   M1        03-02 20-23  03-02 20-23 (before)  03-01        feedback 1/1 (outside)
d14  completed    test A   M1        03-31 00-02  03-30 22 - 03-31 00   03-29        ends at the period's end

Audit findings (raised): f1 high on d2 (03-06), f2 critical on d3 (03-11), f3 low on model M1 (03-12),
f4 medium on d5 (02-20, before the period).
"""

import datetime as dt
from types import SimpleNamespace

from apps.deployments.models import AlignmentRating, Check, CheckKind, CheckResult, Feedback, IncidentLink
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind
from apps.reports.models import AuditFinding
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory
from tests.factories.reports import raise_finding

FIRST = dt.date(2025, 3, 3)
LAST = dt.date(2025, 3, 30)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=dt.UTC)


def build_kpi_data() -> SimpleNamespace:
    k = SimpleNamespace()
    k.manager = UserFactory(username="kpi-manager", roles=["manager"])
    k.owner = UserFactory(username="kpi-owner", roles=["service_owner"])
    k.product_owner = UserFactory(username="kpi-po", roles=["product_owner"])
    k.auditor = UserFactory(username="kpi-auditor", roles=["auditor"])
    k.practitioner = UserFactory(username="kpi-practitioner", roles=["practitioner"])
    k.prod = EnvironmentFactory(name="KPI production", slug="kpi-prod", kind=EnvironmentKind.PRODUCTION)
    k.test = EnvironmentFactory(name="KPI test", slug="kpi-test", kind=EnvironmentKind.TEST)
    k.svc_a = ServiceFactory(name="KPI service A")
    k.svc_a.owners.add(k.owner)
    k.svc_b = ServiceFactory(name="KPI service B")
    k.svc_b.product_owners.add(k.product_owner)
    k.m1 = DeploymentModelFactory(name="KPI M1", active=True)
    k.m2 = DeploymentModelFactory(name="KPI M2")
    k.m3 = DeploymentModelFactory(name="KPI M3", pilot=True)

    def dep(name, status, env, svc, model, planned, actual=None, submitted=None, overrides=0):
        d = DeploymentFactory(
            title=f"KPI {name}",
            status=status,
            environment=env,
            service=svc,
            model=model,
            requester=k.manager,
            planned_start=planned[0],
            planned_end=planned[1],
            actual_start=actual[0] if actual else None,
            actual_end=actual[1] if actual else None,
            submitted_at=submitted,
            override_count=overrides,
        )
        setattr(k, name, d)
        return d

    S = Status
    dep(
        "d1",
        S.COMPLETED,
        k.prod,
        k.svc_a,
        k.m1,
        (at(3, 4, 10), at(3, 4, 12)),
        (at(3, 4, 10), at(3, 4, 11)),
        at(3, 3, 10),
    )
    dep(
        "d2",
        S.COMPLETED,
        k.test,
        k.svc_a,
        k.m1,
        (at(3, 5, 10), at(3, 5, 12)),
        (at(3, 5, 10, 30), at(3, 5, 13)),
        at(3, 4, 13),
    )
    dep(
        "d3",
        S.FAILED,
        k.prod,
        k.svc_a,
        None,
        (at(3, 10, 10), at(3, 10, 12)),
        (at(3, 10, 10), at(3, 10, 11)),
        at(3, 9, 11),
        overrides=2,
    )
    dep(
        "d4",
        S.COMPLETED,
        k.prod,
        k.svc_a,
        k.m1,
        (at(3, 11, 10), at(3, 11, 12)),
        (at(3, 11, 10), at(3, 11, 11)),
        at(3, 10, 11),
    )
    dep(
        "d5",
        S.ROLLED_BACK,
        k.test,
        k.svc_b,
        k.m2,
        (at(3, 12, 10), at(3, 12, 12)),
        (at(3, 12, 9), at(3, 12, 10)),
        at(3, 11, 9),
    )
    dep(
        "d6",
        S.COMPLETED,
        k.test,
        k.svc_b,
        k.m1,
        (at(3, 18, 10), at(3, 18, 12)),
        (at(3, 18, 10), at(3, 18, 11)),
        at(3, 13, 11),
    )
    dep(
        "d7",
        S.COMPLETED,
        k.prod,
        k.svc_b,
        k.m1,
        (at(3, 25, 10), at(3, 25, 12)),
        (at(3, 25, 10), at(3, 25, 12)),
        at(3, 25, 8),
    )
    dep(
        "d15",
        S.FAILED,
        k.prod,
        k.svc_b,
        k.m3,
        (at(3, 27, 10), at(3, 27, 12)),
        (at(3, 27, 10), at(3, 27, 11)),
        at(3, 26, 10),
    )
    dep("d8", S.APPROVED, k.test, k.svc_a, k.m1, (at(4, 10, 10), at(4, 10, 12)))
    dep("d9", S.APPROVED, k.test, k.svc_b, None, (at(4, 11, 10), at(4, 11, 12)))
    dep("d10", S.DRAFT, k.test, k.svc_a, k.m1, (at(3, 20, 10), at(3, 20, 12)))
    dep("d11", S.CANCELLED, k.test, k.svc_b, k.m1, (at(3, 21, 10), at(3, 21, 12)))
    dep("d12", S.PENDING_APPROVAL, k.test, k.svc_b, k.m1, (at(3, 28, 10), at(3, 28, 12)), None, at(3, 20), overrides=1)
    dep("d13", S.COMPLETED, k.prod, k.svc_a, k.m1, (at(3, 2, 20), at(3, 2, 23)), (at(3, 2, 20), at(3, 2, 23)), at(3, 1))
    dep(
        "d14",
        S.COMPLETED,
        k.test,
        k.svc_a,
        k.m1,
        (at(3, 31, 0), at(3, 31, 2)),
        (at(3, 30, 22), at(3, 31, 0)),
        at(3, 29),
    )

    for d in (k.d3, k.d4):
        IncidentLink.objects.create(deployment=d, incident_ref=f"INC-{d.pk}", opened_at=d.actual_end)
    IncidentLink.objects.filter(deployment=k.d3).update(resolved_at=k.d3.actual_end + dt.timedelta(hours=24))
    Check.objects.create(deployment=k.d2, kind=CheckKind.ACCEPTANCE, description="Smoke test", required=True)
    Check.objects.create(deployment=k.d1, kind=CheckKind.ACCEPTANCE, description="Smoke test", result=CheckResult.PASS)
    rater = UserFactory(username="kpi-rater")
    # the rate of change: 4 and 5 in the period (the rater left it unanswered), 1 outside it
    Feedback.objects.create(
        deployment=k.d1, user=k.manager, rating_lead_time=4, rating_quality=5, rating_rate_of_change=4
    )
    Feedback.objects.create(deployment=k.d1, user=rater, rating_lead_time=2, rating_quality=3)
    Feedback.objects.create(
        deployment=k.d6, user=k.manager, rating_lead_time=5, rating_quality=4, rating_rate_of_change=5
    )
    Feedback.objects.create(
        deployment=k.d13, user=k.manager, rating_lead_time=1, rating_quality=1, rating_rate_of_change=1
    )
    # partners' and consumers' alignment: d1 rated 4 and 2, d6 rated 5; d7 asked, not answered; d13 outside
    answered = at(3, 28)
    for d, email, rating in ((k.d1, "sup@example.com", 4), (k.d1, "con@example.com", 2), (k.d6, "sup@example.com", 5)):
        AlignmentRating.objects.create(deployment=d, email=email, role="supplier", rating=rating, answered_at=answered)
    AlignmentRating.objects.create(deployment=k.d7, email="sup@example.com", role="supplier")
    AlignmentRating.objects.create(
        deployment=k.d13, email="sup@example.com", role="supplier", rating=1, answered_at=answered
    )
    for name, subject, severity, raised in (
        ("f1", k.d2, "high", at(3, 6, 9)),
        ("f2", k.d3, "critical", at(3, 11, 9)),
        ("f3", k.m1, "low", at(3, 12, 9)),
        ("f4", k.d5, "medium", at(2, 20, 9)),
    ):
        finding = raise_finding(actor=k.auditor, subject=subject, owner=k.manager, severity=severity)
        AuditFinding.objects.filter(pk=finding.pk).update(raised_at=raised)
        setattr(k, name, finding)
    kpi_rollup_rebuild()  # made with factories, not through the services that keep the rollup
    return k
