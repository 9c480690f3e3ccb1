"""The KPI rollups at every level — daily, the day, week, month and year rows, and the rows per service and
supplier — kept by the services through a
random sequence of transitions, edits, incident links and ratings spread over more than a year, equal a rebuild from
the deployments; and the period rows equal the daily rows added up, with the lead time median of their own sketch."""

import contextlib
import datetime as dt
import random
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from apps.core.exceptions import ConflictError
from apps.deployments.models import (
    ALL,
    DeploymentCutRollup,
    DeploymentDailyRollup,
    DeploymentPeriodRollup,
    RollupModelLevel,
    level_keys,
)
from apps.deployments.services import (
    Context,
    deployment_release,
    deployment_transition,
    deployment_update,
    feedback_submit,
    incident_link_add,
    incident_link_resolve,
)
from apps.deployments.services.kpi_rollup import (
    COUNTERS,
    CUT_KEY,
    DAILY_KEY,
    PERIOD_KEY,
    SKETCHES,
    merge_part,
    period_starts,
)
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild, period_rebuild
from apps.deployments.sketch import sketch_quantiles
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon

pytestmark = pytest.mark.django_db

FIGURES = [*COUNTERS, *SKETCHES]
REFUSED = (ValidationError, PermissionDenied, ConflictError)


def _daily() -> dict:
    return {tuple(r[:5]): r[5:] for r in DeploymentDailyRollup.objects.values_list(*DAILY_KEY, *FIGURES)}


def _periods() -> dict:
    rows = DeploymentPeriodRollup.objects.values_list(*PERIOD_KEY, *FIGURES, "lead_median")
    return {tuple(r[:4]): r[4:] for r in rows}


def _periods_from_daily() -> dict:
    """The period rows recomputed in Python from the daily rows (independently of the rebuild's SQL): per
    environment and model, all of either, and the models of each level they are filed under; each with the lead time
    median sketch_quantiles reads from its sketch."""
    filed = dict(RollupModelLevel.objects.values_list("model_id", "automation_level"))
    added: dict[tuple, dict] = {}
    for row in DeploymentDailyRollup.objects.all():
        part = {name: getattr(row, name) for name in (*COUNTERS, *SKETCHES)}
        for grain, start in period_starts(row.day).items():
            for env in (row.environment_id, ALL):
                for model in (row.model_id, ALL, *level_keys(filed.get(row.model_id))):
                    merge_part(added.setdefault((grain, start, env, model), {}), part)
    empty = {name: {} if name in SKETCHES else 0 for name in FIGURES}
    return {
        key: (*(v.get(f, empty[f]) for f in FIGURES), sketch_quantiles(v.get("lead_sketch", {}), (0.5,))[1].get(0.5))
        for key, v in added.items()
        if any(v.values())
    }


def _cuts() -> dict:
    return {tuple(r[:5]): r[5:] for r in DeploymentCutRollup.objects.values_list(*CUT_KEY, *FIGURES)}


def _cuts_from_daily() -> dict:
    """The rows per service and supplier recomputed in Python from the daily rows: per environment and model and
    over all of either (a deployment without a supplier in no supplier's rows)."""
    added: dict[tuple, dict] = {}
    for row in DeploymentDailyRollup.objects.all():
        part = {name: getattr(row, name) for name in (*COUNTERS, *SKETCHES)}
        for cut, cut_id in (("S", row.service_id), ("U", row.supplier_id)):
            for env in (row.environment_id, ALL):
                for model in (row.model_id, ALL):
                    if cut_id:
                        merge_part(added.setdefault((cut, cut_id, env, model, row.day), {}), part)
    empty = {name: {} if name in SKETCHES else 0 for name in FIGURES}
    return {key: tuple(v.get(f, empty[f]) for f in FIGURES) for key, v in added.items() if any(v.values())}


def _try(action) -> None:
    with contextlib.suppress(*REFUSED):  # a refused action changes nothing, and the rollups must still agree
        action()


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(at=timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: now.at)
    return now


def _walk(w, clock, rng: random.Random) -> None:
    manager = w.users["manager"]
    boss = UserFactory(roles=["manager"])
    ctx = Context(actor=boss)
    for step in range(14):
        clock.at += dt.timedelta(days=rng.choice((0, 1, 3, 9, 27, 40)), hours=rng.randint(0, 23))
        env = rng.choice((w.env_test, w.env_staging))
        service, version = rng.choice(((w.service, w.version_2), (w.other_service, w.other_version)))
        d = plan(
            requester=manager,
            service=service,
            environment=env,
            versions=[version],
            model=w.model if env == w.env_test and service == w.service and rng.random() < 0.5 else None,
            start=soon(rng.randint(1, 60), hour=rng.randint(0, 23)),
            title=f"Step {step}",
        )
        target = rng.choice(("submit", "approve", "completed", "failed", "rolled", "cancel", "replan"))
        if target == "submit":
            deployment_transition(ctx=Context(actor=manager), deployment=d, transition="submit")
        elif target in ("approve", "cancel", "replan"):
            d = advance(d, to=Status.APPROVED, manager=boss)
            if target == "cancel":
                _try(lambda d=d: deployment_transition(ctx=ctx, deployment=d, transition="cancel", comment="no"))
            if target == "replan":
                start = soon(rng.randint(61, 400))
                data = {"planned_start": start, "planned_end": start + dt.timedelta(hours=3)}
                _try(lambda d=d, data=data: deployment_update(ctx=ctx, deployment=d, data=data, expected_version=None))
        elif target == "completed":
            d = advance(d, to=Status.COMPLETED, manager=boss)
            if rng.random() < 0.5:
                clock.at += dt.timedelta(hours=rng.randint(0, 50))
                _try(lambda d=d: deployment_release(ctx=ctx, deployment=d, release_ref=f"REL-{step}"))
            if rng.random() < 0.5:
                rating = {"rating_lead_time": 4, "rating_quality": rng.randint(1, 5), "rating_rate_of_change": 3}
                _try(lambda d=d, rating=rating: feedback_submit(ctx=Context(actor=manager), deployment=d, **rating))
        else:
            d = advance(d, to=Status.VERIFYING, manager=boss)
            d = deployment_transition(ctx=ctx, deployment=d, transition="fail", comment="red")
            if target == "rolled":
                clock.at += dt.timedelta(hours=rng.randint(1, 30))
                d = deployment_transition(ctx=ctx, deployment=d, transition="roll-back", comment="back")
        if d.status in (Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK) and rng.random() < 0.4:
            opened = timezone.now() - dt.timedelta(hours=2)
            link = incident_link_add(ctx=ctx, deployment=d, incident_ref=f"INC-{step}", opened_at=opened)
            if rng.random() < 0.5:
                clock.at += dt.timedelta(days=rng.choice((0, 2, 20)))
                _try(lambda link=link: incident_link_resolve(ctx=ctx, link=link))


@pytest.mark.parametrize("seed", [7, 11])
def test_every_level_kept_by_the_services_equals_a_recomputation(world, clock, seed):
    # given deployments taken through a random sequence of changes over more than a year
    _walk(world, clock, random.Random(seed))  # noqa: S311 (a reproducible test sequence)
    daily, periods = _daily(), _periods()
    kinds = DeploymentDailyRollup.objects.aggregate(*(Sum(n) for n in ("completed", "failed", "release_n", "rate_n")))
    assert all(kinds.values())  # the walk completed, failed, released and rated deployments
    assert {key[0] for key in periods} == {"D", "W", "M", "Y"}
    assert {key[3] for key in periods} >= {*level_keys(world.model.automation_level), ALL, world.model.pk}
    assert any(row[-1] is not None for row in periods.values())
    # then the period rows are the daily rows added up, per environment and model, over all of either and per level,
    # each with the lead time median of its own sketch
    assert periods == _periods_from_daily()
    # and the rows per service and supplier are the daily rows added up by service and by supplier
    cuts = _cuts()
    assert {key[0] for key in cuts} == {"S", "U"}
    assert cuts == _cuts_from_daily()
    # and a rebuild from the deployments gives every row of every level again, to the sketches
    assert kpi_rollup_rebuild() == len(daily)
    assert _daily() == daily
    assert _periods() == periods
    assert _cuts() == cuts


def test_the_period_rows_are_rebuilt_from_the_daily_rows_alone(world, clock):
    # given rows the services kept
    _walk(world, clock, random.Random(3))  # noqa: S311
    kept = _periods()
    # when the period rows are lost and rebuilt (the migration's backfill)
    DeploymentPeriodRollup.objects.all().delete()
    made = period_rebuild()
    # then they are back as they were
    assert made == len(kept)
    assert _periods() == kept
