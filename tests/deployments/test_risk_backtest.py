"""Tests of apps/deployments/risk/backtest.py, `manage.py risk_backtest` and the back-test panel of the KPI page."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from apps.deployments.models import RiskBacktest
from apps.deployments.risk.backtest import auc_mann_whitney, risk_backtest_run
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory

T = dt.datetime(2030, 5, 6, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("failed", "succeeded", "auc"),
    [
        ([80, 70, 60], [10, 20, 30, 40], 1.0),  # every failure scored above every success
        ([10, 20], [30, 40, 50], 0.0),  # reversed
        ([30, 30], [30, 30, 30], 0.5),  # all tied: chance
        ([3, 1], [2, 0], 0.75),  # 3 of the 4 pairs in order
        ([5, 2], [2, 0], 0.875),  # a tie counts a half: (1 + 1 + 0.5 + 1) / 4
        ([], [1, 2], None),
        ([1], [], None),
    ],
)
def test_auc_is_the_mann_whitney_u_over_the_pairs(failed, succeeded, auc):
    assert auc_mann_whitney(failed, succeeded) == auc


def _history(*, failures_in_freeze: bool) -> None:
    """Eight finished deployments, each of its own service and version and without a model, so their records say
    nothing about each other; four ran inside a freeze of their environment (10 points more), four did not. The
    four in the freeze failed when `failures_in_freeze`, otherwise the four outside it did."""
    env = EnvironmentFactory()
    FreezeWindowFactory(environment=env, start=T, end=T + dt.timedelta(days=30))
    for i in range(8):
        in_freeze = i % 2 == 0
        start = T + dt.timedelta(days=1 + i) if in_freeze else T - dt.timedelta(days=10 + i)
        failed = in_freeze == failures_in_freeze
        DeploymentFactory(
            service=ServiceFactory(),
            environment=env,
            status=Status.FAILED if failed else Status.COMPLETED,
            planned_start=start,
            planned_end=start + dt.timedelta(hours=2),
            actual_start=start,
            actual_end=start + dt.timedelta(hours=2),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("failures_in_freeze", "auc"), [(True, 1.0), (False, 0.0)])
def test_the_back_test_scores_each_deployment_as_of_its_planned_start(failures_in_freeze, auc):
    # given a history where only the freeze separates the failed deployments from the completed ones
    _history(failures_in_freeze=failures_in_freeze)
    # when the back-test runs
    result = risk_backtest_run()
    # then the score separated them perfectly (or, reversed, not at all)
    assert (result["scored"], result["failed"], result["succeeded"]) == (8, 4, 4)
    assert result["auc"] == auc
    means = sorted([result["mean_score_failed"], result["mean_score_succeeded"]])
    assert means == [22.0, 32.0]
    assert result["factors"]["freeze"] == (
        {"failed": 10.0, "succeeded": 0.0} if failures_in_freeze else {"failed": 0.0, "succeeded": 10.0}
    )


@pytest.mark.django_db
def test_the_command_prints_json_and_keeps_the_result_for_the_kpi_page():
    # given the history
    _history(failures_in_freeze=True)
    # when the command runs with --json
    out = io.StringIO()
    call_command("risk_backtest", "--json", stdout=out)
    # then it prints the AUC and the counts, and keeps them
    printed = json.loads(out.getvalue())
    assert (printed["auc"], printed["scored"], printed["failed"], printed["succeeded"]) == (1.0, 8, 4, 4)
    run = RiskBacktest.objects.get()
    assert (run.auc, run.scored, run.failed, run.succeeded) == (1.0, 8, 4, 4)
    # and --dry-run keeps nothing; the plain output names the AUC
    out = io.StringIO()
    call_command("risk_backtest", "--dry-run", stdout=out)
    assert "AUC 1.000" in out.getvalue()
    assert RiskBacktest.objects.count() == 1


@pytest.mark.django_db
def test_with_no_failures_the_auc_is_not_a_number():
    out = io.StringIO()
    call_command("risk_backtest", "--dry-run", stdout=out)
    assert "AUC n/a" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "shown"), [("manager", True), ("auditor", True), ("service_owner", False)])
def test_the_kpi_page_shows_the_last_back_test_to_those_who_see_every_deployment(client, role, shown):
    # given two back-test runs
    for auc, ran_at in ((0.61, T), (0.734, T + dt.timedelta(days=1))):
        RiskBacktest.objects.create(ran_at=ran_at, scored=120, failed=9, succeeded=111, auc=auc)
    client.force_login(UserFactory(roles=[role]))
    # when the KPI page is opened
    html = client.get("/reports/kpis/").content.decode()
    # then the last run is shown to managers and auditors (it counts every deployment), not to a service owner
    assert ('data-testid="risk-backtest-auc">AUC 0.734' in html) is shown
    assert ("0.610" in html) is False
