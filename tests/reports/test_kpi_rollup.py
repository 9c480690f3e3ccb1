"""Reading the KPI rollups: a period is covered once by whole years, months and weeks and the days at its edges, and
every figure read through the period rows equals the figure read from the daily rows alone; so does every figure of a
cut by service, supplier or an owner's services read through the rows per service and supplier; the manual |
automated split read in one grouped pass equals the report filtered by each level."""

import datetime as dt
import random

import pytest

from apps.deployment_models.models import AutomationLevel, DeploymentModel
from apps.deployments.models import Deployment, DeploymentCutRollup, DeploymentDailyRollup
from apps.deployments.services.kpi_rollup import next_period_start
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild, period_rebuild
from apps.deployments.sketch import sketch_add, sketch_of, sketch_quantiles
from apps.reports.selectors import kpi_rollup
from apps.reports.selectors.kpi_rollup import level_rows, period_cover, sketch_quantiles_of
from apps.reports.selectors.kpi_trend import _as_date as kpi_trend_date
from apps.reports.selectors.kpi_trend import kpi_trend
from apps.reports.selectors.kpis import SPLIT_METRICS, kpi_headline, kpi_report, kpi_split
from tests.factories.catalog import SupplierFactory
from tests.reports.kpi_data import FIRST, LAST, build_kpi_data

D = dt.date


def _days(first: dt.date, last: dt.date) -> list:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("first", "last", "periods", "ranges"),
    [
        (D(2024, 1, 1), D(2024, 12, 31), {"Y": [D(2024, 1, 1)]}, []),
        (D(2025, 3, 3), D(2025, 3, 30), {"W": [D(2025, 3, d) for d in (3, 10, 17, 24)]}, []),
        (D(2025, 3, 4), D(2025, 3, 9), {"D": _days(D(2025, 3, 4), D(2025, 3, 9))}, []),
        (
            D(2023, 12, 20),
            D(2025, 2, 10),
            {
                "Y": [D(2024, 1, 1)],
                "M": [D(2025, 1, 1)],
                "W": [D(2023, 12, 25), D(2025, 2, 3)],
                "D": [*_days(D(2023, 12, 20), D(2023, 12, 24)), D(2025, 2, 1), D(2025, 2, 2), D(2025, 2, 10)],
            },
            [],
        ),
    ],
)
def test_a_period_is_covered_by_the_coarsest_whole_periods_down_to_days(first, last, periods, ranges):
    assert period_cover(first, last) == (periods, ranges)


@pytest.mark.parametrize("seed", range(20))
def test_every_day_of_a_period_is_covered_exactly_once(seed):
    rng = random.Random(seed)  # noqa: S311
    first = D(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))
    last = first + dt.timedelta(days=rng.randint(0, 2000))
    for grains in (("Y", "M", "W", "D"), ("Y", "M", "W"), ("W", "D"), ("M", "D"), ("W",), ("M",)):
        periods, ranges = period_cover(first, last, grains)
        covered = [day for a, b in ranges for day in _days(a, b)]
        for grain, starts in periods.items():
            for start in starts:
                covered += _days(start, next_period_start(start, grain) - dt.timedelta(days=1))
        assert sorted(covered) == _days(first, last)


@pytest.fixture(params=["changed", "refiled"])
def k(db, request):
    """The KPI data, with model M1 made fully automated after its rows were written: read per model while the level
    rows still count it as manual ("changed"), or from the level rows once a rebuild has filed it again ("refiled")."""
    k = build_kpi_data()
    DeploymentModel.objects.filter(pk=k.m1.pk).update(automation_level=AutomationLevel.FULLY_AUTOMATED)
    if request.param == "refiled":
        period_rebuild()
    assert bool(level_rows(("manual",))) == (request.param == "refiled")
    return k


def _daily_only(monkeypatch) -> None:
    monkeypatch.setattr(kpi_rollup.RollupScope, "daily_only", property(lambda self: True))


PERIODS = [
    (FIRST, LAST),
    (D(2024, 6, 15), D(2026, 2, 10)),
    (D(2025, 2, 26), D(2025, 4, 2)),
    (D(2025, 1, 1), D(2025, 12, 31)),
]
CUTS = {
    None: {},
    "environment": {"environment": "prod"},
    "model": {"model": "m1"},
    "manual": {"automation_level": "manual"},
    "automated": {"automation_level": "automated"},
    "fully_automated": {"automation_level": "fully_automated"},
    "environment+model": {"environment": "test", "model": "m1"},
    "environment+automated": {"environment": "prod", "automation_level": "automated"},
}


@pytest.mark.parametrize(("start", "end"), PERIODS)
@pytest.mark.parametrize("cut", list(CUTS))
def test_figures_read_through_the_period_rows_equal_the_daily_rows_alone(k, monkeypatch, start, end, cut):
    # given a cut of the KPIs
    filters = {key: value if key == "automation_level" else getattr(k, value) for key, value in CUTS[cut].items()}

    def read() -> list:
        figures = [
            kpi_report(user=k.manager, start=start, end=end, **filters).values,
            kpi_trend(user=k.manager, start=start, end=end, bucket="week", **filters),
            kpi_trend(user=k.manager, start=start, end=end, bucket="month", **filters),
        ]
        if cut is None:
            figures.append(kpi_headline(user=k.manager, start=start, end=end))
        return figures

    # when the report and both trends are read through the period rows (whole buckets' own medians, the level rows),
    # then from the daily rows alone (every sketch merged)
    through_periods = read()
    _daily_only(monkeypatch)
    # then every figure is the same
    assert through_periods == read()


SERVICE_CUTS = {
    "service": ("manager", {"service": "svc_a"}),
    "service+environment": ("manager", {"service": "svc_a", "environment": "prod"}),
    "service+model": ("manager", {"service": "svc_a", "model": "m1"}),
    "service+automated": ("manager", {"service": "svc_b", "automation_level": "automated"}),
    "supplier": ("manager", {"supplier": "acme"}),
    "supplier+environment+manual": (
        "manager",
        {"supplier": "acme", "environment": "prod", "automation_level": "manual"},
    ),
    "owner": ("owner", {}),
    "owner+environment": ("owner", {"environment": "test"}),
    "owner+service": ("owner", {"service": "svc_a"}),
    "product owner+automated": ("product_owner", {"automation_level": "automated"}),
    "supplier+service": ("manager", {"supplier": "globex", "service": "svc_a"}),  # the daily rows: both cuts
}


@pytest.fixture
def ks(k):
    """The KPI data with two suppliers taking part in some deployments (acme in two of three, globex in the rest
    of every other), the rollups rebuilt."""
    k.acme, k.globex = SupplierFactory(name="Acme"), SupplierFactory(name="Globex")
    for i, pk in enumerate(Deployment.objects.order_by("pk").values_list("pk", flat=True)):
        supplier = k.acme if i % 3 else (k.globex if i % 2 else None)
        Deployment.objects.filter(pk=pk).update(supplier=supplier)
    kpi_rollup_rebuild()
    return k


@pytest.mark.parametrize(("start", "end"), PERIODS)
@pytest.mark.parametrize("cut", list(SERVICE_CUTS))
def test_figures_of_a_cut_read_through_the_rows_per_service_and_supplier_equal_the_daily_rows(
    ks, monkeypatch, start, end, cut
):
    # given a cut by service, supplier or an owner's services
    role, given = SERVICE_CUTS[cut]
    user = getattr(ks, role)
    filters = {key: value if key == "automation_level" else getattr(ks, value) for key, value in given.items()}

    def read() -> list:
        figures = [
            kpi_report(user=user, start=start, end=end, **filters).values,
            kpi_trend(user=user, start=start, end=end, bucket="week", **filters),
            kpi_trend(user=user, start=start, end=end, bucket="month", **filters),
        ]
        if "automation_level" not in filters:
            figures.append(kpi_split(user=user, start=start, end=end, **filters))
        return figures

    # when the figures are read through the rows per service or supplier, then from the daily rows alone
    assert DeploymentCutRollup.objects.exists()
    through_cuts = read()
    monkeypatch.setattr(kpi_rollup.RollupScope, "by_cut", property(lambda self: False))
    # then every figure is the same
    assert through_cuts == read()
    assert any(v.value for v in through_cuts[0].values()) or cut == "supplier+service"


def test_a_cut_reads_one_row_a_day_whatever_the_deployments_of_the_day(ks):
    # given the rows per service: the plain figures of a cut by service read the rows over every environment and model
    scope = kpi_rollup.RollupScope(first=FIRST, last=LAST, service=ks.svc_a)
    (rows,) = scope.parts(environments=False, models=False)
    days = list(rows.values_list("day", flat=True))
    assert days and len(days) == len(set(days))
    # those per environment or model only where a figure needs them
    daily = DeploymentDailyRollup.objects.filter(service_id=ks.svc_a.pk, day__gte=FIRST, day__lte=LAST)
    (by_env,) = scope.parts(models=False)
    assert by_env.count() <= daily.count()


@pytest.mark.parametrize(("start", "end"), PERIODS)
@pytest.mark.parametrize("environment", [False, True])
def test_the_split_in_one_pass_equals_the_report_of_each_level(k, start, end, environment):
    filters = {"environment": k.prod} if environment else {}
    split = kpi_split(user=k.manager, start=start, end=end, **filters)
    for level in ("manual", "automated"):
        report = kpi_report(user=k.manager, start=start, end=end, automation_level=level, **filters)
        assert split[level] == {key: report[key] for key in SPLIT_METRICS}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_database_reads_a_merged_sketch_as_sketch_quantiles_does(db, seed):
    # given daily rows with random lead time sketches, over two weeks
    rng = random.Random(seed)  # noqa: S311
    merged: dict = {}
    by_week: dict = {}
    for i in range(40):
        sketch = sketch_of([rng.lognormvariate(10, 2) for _ in range(rng.randint(1, 30))])
        day = D(2025, 3, 3) + dt.timedelta(days=i % 14)
        DeploymentDailyRollup.objects.create(
            day=day, environment_id=1, service_id=i, lead_n=1, lead_sketch=sketch, finished=1
        )
        sketch_add(merged, sketch)
        sketch_add(by_week.setdefault(day - dt.timedelta(days=day.weekday()), {}), sketch)
    parts = [DeploymentDailyRollup.objects.all()]
    fractions = (0.1, 0.5, 0.9, 0.99)
    # then the database's reading equals the Python one, for all rows and per week
    assert sketch_quantiles_of(parts, "lead_sketch", fractions)[None] == sketch_quantiles(merged, fractions)
    weekly = sketch_quantiles_of(parts, "lead_sketch", (0.5,), group=kpi_rollup.trend_bucket("week"))
    assert {kpi_trend_date(g): v for g, v in weekly.items()} == {
        week: sketch_quantiles(s, (0.5,)) for week, s in by_week.items()
    }
