"""The KPI daily rollup: kept by the services through a mix of transitions, edits, incident links and ratings, it
equals a recomputation from the deployments; the KPIs read from it use the time-to-restore definition of roll-backs
and incident resolutions; the duration sketch stays within its stated error."""

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.deployments.models import Deployment, DeploymentDailyRollup
from apps.deployments.services import (
    Context,
    deployment_transition,
    deployment_update,
    feedback_submit,
    incident_link_add,
    incident_link_resolve,
    incident_link_withdraw,
)
from apps.deployments.services.kpi_rollup import COUNTERS, DAILY_KEY, SKETCHES
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.sketch import ALPHA, sketch_add, sketch_of, sketch_quantiles
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind
from apps.reports.selectors.kpis import kpi_report
from tests.factories.accounts import UserFactory
from tests.factories.catalog import SupplierFactory
from tests.factories.deployments import advance, plan, soon

pytestmark = pytest.mark.django_db

FIGURES = [*COUNTERS, *SKETCHES]


def _rows() -> dict:
    return {tuple(r[:5]): r[5:] for r in DeploymentDailyRollup.objects.values_list(*DAILY_KEY, *FIGURES)}


def _later(monkeypatch, hours: float) -> None:
    """Move the clock on (the services read timezone.now)."""
    moved = timezone.now() + dt.timedelta(hours=hours)
    monkeypatch.setattr(timezone, "now", lambda: moved)


@pytest.fixture
def mix(world, monkeypatch):
    """Deployments taken through the services: completed, edited then failed and rolled back an hour and a half
    later, completed with incidents (one resolved, one withdrawn) and a rating, failed with an open incident,
    cancelled, and pending with a supplier."""
    w = world
    # what the mix makes stays off the shared world (whose objects are re-read before every test)
    m = SimpleNamespace(**{k: getattr(w, k) for k in ("users", "env_test", "env_staging", "service", "other_service")})
    manager, practitioner = w.users["manager"], w.users["practitioner"]
    boss = UserFactory(roles=["manager"])  # approves and runs what `manager` requests (segregation of duties)
    ctx = Context(actor=boss)
    m.done = advance(w.deployment, to=Status.COMPLETED, manager=manager, practitioner=practitioner)
    m.rolled = plan(
        requester=manager, service=w.service, environment=w.env_test, versions=[w.version_2], start=soon(20)
    )
    deployment_transition(ctx=Context(actor=manager), deployment=m.rolled, transition="submit")
    m.rolled = deployment_update(
        ctx=ctx,
        deployment=m.rolled,
        data={"planned_start": soon(21), "planned_end": soon(21) + dt.timedelta(hours=2)},
        expected_version=None,
    )
    advance(m.rolled, to=Status.VERIFYING, manager=boss)
    m.rolled = deployment_transition(ctx=ctx, deployment=m.rolled, transition="fail", comment="smoke test red")
    m.failed_at = m.rolled.actual_end
    with monkeypatch.context() as clock:
        _later(clock, 1.5)
        m.rolled = deployment_transition(ctx=ctx, deployment=m.rolled, transition="roll-back", comment="back to 1.0")
    m.incidents = plan(
        requester=manager, service=w.other_service, environment=w.env_test, versions=[w.other_version], start=soon(23)
    )
    m.incidents = advance(m.incidents, to=Status.COMPLETED, manager=boss)
    opened = timezone.now() - dt.timedelta(hours=5)
    resolved = incident_link_add(ctx=ctx, deployment=m.incidents, incident_ref="INC-1", opened_at=opened)
    incident_link_resolve(ctx=ctx, link=resolved, resolved_at=opened + dt.timedelta(hours=3))
    mistaken = incident_link_add(ctx=ctx, deployment=m.incidents, incident_ref="INC-2", opened_at=opened)
    incident_link_withdraw(ctx=ctx, link=mistaken, reason="Another change caused it.")
    feedback_submit(ctx=Context(actor=manager), deployment=m.incidents, rating_lead_time=4, rating_quality=2)
    m.open_failure = plan(
        requester=manager, service=w.service, environment=w.env_staging, versions=[w.version_2], start=soon(25)
    )
    advance(m.open_failure, to=Status.VERIFYING, manager=boss)
    m.open_failure = deployment_transition(ctx=ctx, deployment=m.open_failure, transition="fail", comment="down")
    incident_link_add(ctx=ctx, deployment=m.open_failure, incident_ref="INC-3")
    m.cancelled = plan(
        requester=manager, service=w.service, environment=w.env_test, versions=[w.version_2], start=soon(27)
    )
    deployment_transition(ctx=ctx, deployment=m.cancelled, transition="submit")
    deployment_transition(ctx=ctx, deployment=m.cancelled, transition="cancel", comment="not needed")
    m.supplied = plan(
        requester=manager, service=w.service, environment=w.env_test, versions=[w.version_2], start=soon(29)
    )
    m.supplier = SupplierFactory()
    Deployment.objects.filter(pk=m.supplied.pk).update(supplier=m.supplier)  # a draft counts nowhere yet
    deployment_transition(ctx=ctx, deployment=m.supplied, transition="submit")
    return m


def test_the_rollup_kept_by_the_services_equals_a_recomputation(mix):
    # given the rollup as the services kept it through the mix
    kept = _rows()
    assert kept
    # when it is rebuilt from the deployments (the command bench_seed and the demo use)
    call_command("kpi_rollup_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    # then every row is the same, to the sketches
    assert _rows() == kept
    assert kpi_rollup_rebuild() == len(kept)


def _period():
    today = timezone.localdate()
    return {"start": today - dt.timedelta(days=1), "end": today + dt.timedelta(days=40)}


def test_time_to_restore_counts_roll_backs_and_resolved_incidents_not_withdrawn_links(mix):
    # given the test and staging environments counted as production
    w = mix
    type(w.env_test).objects.filter(pk__in=[w.env_test.pk, w.env_staging.pk]).update(kind=EnvironmentKind.PRODUCTION)
    # when the manager's KPIs are read
    report = kpi_report(user=w.users["manager"], **_period())
    ttr = report["time_to_restore_median_hours"]
    # then the failures are: the rolled-back one, the failed one, and the two incidents standing (INC-1, INC-3);
    # restored: the roll-back (1.5 h) and INC-1 (3 h) → median 2.25 h; the withdrawn INC-2 counts nowhere
    assert (ttr.numerator, ttr.denominator) == (2, 4)
    assert ttr.value == pytest.approx(2.25, rel=ALPHA, abs=0.01)
    assert report["incident_rate"].numerator == 2  # the completed one with INC-1, the failed one with INC-3
    assert report["satisfaction_quality"].value == 2.0


def test_the_supplier_filter_counts_only_its_deployments(mix):
    w = mix
    report = kpi_report(user=w.users["manager"], supplier=w.supplier, **_period())
    assert report["model_adoption_rate"].denominator == 1  # the pending one planned with the supplier
    assert report["success_rate"].denominator == 0
    everyone = kpi_report(user=w.users["manager"], **_period())
    assert everyone["success_rate"].denominator == 4


def test_a_service_owner_reads_only_their_services_rows(mix):
    w = mix
    w.other_service.owners.add(w.users["service_owner"])
    w.service.owners.remove(w.users["service_owner"])
    report = kpi_report(user=w.users["service_owner"], **_period())
    assert report["success_rate"].denominator == 1  # only the other service's completed deployment


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sketch_percentiles_are_within_the_stated_error(seed):
    # given durations from seconds to months, spread over days whose sketches are merged
    rng = random.Random(seed)  # noqa: S311
    values = [rng.lognormvariate(9, 2.5) for _ in range(5000)]
    merged: dict = {}
    for day in range(50):
        sketch_add(merged, sketch_of(values[day::50]))
    n, got = sketch_quantiles(merged, (0.1, 0.5, 0.9, 0.99))
    # then each percentile is within α (plus the rounding to whole seconds) of percentile_cont's exact one
    ordered = sorted(round(v) for v in values)
    assert n == len(values)
    for p, value in got.items():
        pos = (n - 1) * p
        lo, hi = int(pos), min(int(pos) + 1, n - 1)
        exact = ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
        assert abs(value - exact) <= ALPHA * exact + 1


def test_a_sketch_of_equal_durations_is_exact_and_taking_away_empties_it():
    sketch = sketch_of([86400, 86400, 3600])
    assert sketch_quantiles(sketch, (0.5,)) == (3, {0.5: 86400.0})
    assert sketch_add(sketch, sketch_of([86400, 86400, 3600]), -1) == {}


def test_applying_a_change_takes_the_same_few_queries_however_many_rows_it_touches(
    django_assert_max_num_queries, monkeypatch
):
    from django.db import connection

    from apps.deployments.models import ALL, DeploymentPeriodRollup
    from apps.deployments.services.kpi_rollup import rollup_apply

    # Django splits a statement on SQLite at 999 parameters, though SQLite allows 32,766 since 3.32: without the
    # split, the count is the same on both databases
    if connection.vendor == "sqlite":
        monkeypatch.setattr(connection.features, "max_query_params", 32766)
    # given a change that adds to 1 day, then to 20 days (each also to its day, week, month and year rows, four ways)
    for days in (1, 20):
        first = dt.date(2026, 1, 5) if days == 1 else dt.date(2026, 3, 2)
        diff = {(first + dt.timedelta(days=i), 1, 2, 3, 0): {"planned": 1, "overrides": 1} for i in range(days)}
        # when it is applied: the missing rows made, all locked, updated in one statement (a savepoint around); the
        # same three for the rows per service and supplier
        with django_assert_max_num_queries(11):
            rollup_apply(diff)
    # then every daily row holds its count, and the year row of every environment and model holds them all
    assert DeploymentDailyRollup.objects.filter(planned=1, overrides=1).count() == 21
    year = DeploymentPeriodRollup.objects.get(grain="Y", start=dt.date(2026, 1, 1), environment_id=ALL, model_id=ALL)
    assert (year.planned, year.overrides) == (21, 21)
    # and taking the change away again leaves no row behind (in the same few queries)
    with django_assert_max_num_queries(14):  # and a delete of the emptied rows per service and supplier
        rollup_apply({key: {"planned": -1, "overrides": -1} for key in diff})
    assert DeploymentDailyRollup.objects.filter(day__gte=dt.date(2026, 3, 1)).count() == 0
    assert not DeploymentPeriodRollup.objects.filter(grain="M", start=dt.date(2026, 3, 1)).exists()


def test_a_model_is_filed_under_its_level_once_and_stays_there_until_a_rebuild(
    django_assert_max_num_queries, django_assert_num_queries
):
    from apps.deployment_models.models import AutomationLevel
    from apps.deployments.models import ALL, LEVEL_KEYS, DeploymentPeriodRollup, RollupModelLevel
    from apps.deployments.services.kpi_rollup import rollup_apply
    from tests.factories.deployment_models import DeploymentModelFactory

    # given a manual model never written before
    model = DeploymentModelFactory(automation_level=AutomationLevel.MANUAL)
    day = dt.date(2026, 5, 6)

    def add(env: int) -> None:
        rollup_apply({(day, env, 2, model.pk, 0): {"planned": 1}})

    def level_rows() -> dict:
        rows = DeploymentPeriodRollup.objects.filter(grain="Y", environment_id=ALL, model_id__lt=ALL)
        return dict(rows.values_list("model_id", "planned"))

    # when it is first written: filed under its level (two queries more, once)
    with django_assert_max_num_queries(13):  # three for the rows per service and supplier
        add(1)
    assert RollupModelLevel.objects.get(model_id=model.pk).automation_level == AutomationLevel.MANUAL
    with django_assert_num_queries(11):
        add(2)
    assert level_rows() == {LEVEL_KEYS["manual"]: 2}
    # and after its level changes, what it adds still goes to the level it is filed under
    type(model).objects.filter(pk=model.pk).update(automation_level=AutomationLevel.FULLY_AUTOMATED)
    add(3)
    assert level_rows() == {LEVEL_KEYS["manual"]: 3}
    # until a rebuild of the period rows from the daily rows files it under its level now
    call_command("kpi_rollup_rebuild", "--periods", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert level_rows() == {LEVEL_KEYS["automated"]: 3, LEVEL_KEYS["fully_automated"]: 3}
    assert RollupModelLevel.objects.get(model_id=model.pk).automation_level == AutomationLevel.FULLY_AUTOMATED
