"""Tests of apps/deployments/risk/score.py and risk/selectors.py: each factor's contribution from constructed records,
the bounds of the score, and the queries it costs."""

import datetime as dt

import pytest
from django.db import connection

from apps.core.db import prepares
from apps.deployments.risk.score import FACTORS, RiskInputs, risk_assess
from apps.deployments.risk.selectors import risk_inputs
from apps.deployments.risk.services import deployment_risk_assess
from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentFactory, ComponentVersionFactory, ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory, MaintenanceWindowFactory
from tests.prepared import plans_of

AS_OF = dt.datetime(2030, 3, 1, 10, 0, tzinfo=dt.UTC)


def _contributions(assessment) -> dict:
    return {f.factor: f.contribution for f in assessment.factors}


# --- the pure score ----------------------------------------------------------------------------------------------


def test_the_weights_add_up_to_100_and_every_factor_is_reported_in_order():
    # when a plan with nothing known is scored
    assessment = risk_assess(RiskInputs(service="Shop", environment="Test", environment_kind="test"))
    # then every factor is there, in the table's order, and the contributions explain the score
    assert [f.factor for f in assessment.factors] == list(FACTORS)
    assert sum(weight for _, weight in FACTORS.values()) == 100
    assert assessment.score == round(sum(f.contribution for f in assessment.factors))


def test_a_plan_with_no_risk_in_any_record_scores_0():
    # given a plan whose every record is reassuring
    inputs = RiskInputs(
        model="Model v1",
        model_finished=20,
        service="Shop",
        service_finished=20,
        component_deployments=5,
        versions=1,
        environment="Test",
        environment_kind="test",
        practitioners=(("Pat", 12),),
    )
    # then the score is 0 and every factor contributes nothing
    assessment = risk_assess(inputs)
    assert assessment.score == 0
    assert set(_contributions(assessment).values()) == {0.0}


def test_a_plan_with_every_risk_at_its_worst_scores_100_and_never_more():
    # given a plan whose every record is alarming, far past each factor's full level
    inputs = RiskInputs(
        model="Model v1",
        model_finished=10,
        model_failed=10,
        service="Shop",
        service_finished=10,
        service_failed=9,
        component_deployments=2,
        component_incidents=40,
        versions=30,
        freeze="inside",
        freeze_name="Year end",
        maintenance_required=True,
        outside_maintenance=True,
        new_versions=30,
        environment="Production",
        environment_kind="production",
        practitioners=(("Pat", 0), ("Sam", 9)),
    )
    # then each factor gives exactly its weight and the score is 100
    assessment = risk_assess(inputs)
    assert assessment.score == 100
    assert _contributions(assessment) == {code: float(weight) for code, (_, weight) in FACTORS.items()}


@pytest.mark.parametrize(
    ("inputs", "factor", "contribution", "value"),
    [
        (RiskInputs(model="M v1", model_finished=10, model_failed=1), "model_failure_rate", 5.0, "1 of 10 (10%)"),
        # fewer than four finished deployments count as four: one failure of one is not a 100 % failure rate
        (RiskInputs(model="M v1", model_finished=1, model_failed=1), "model_failure_rate", 12.5, "1 of 1 (100%)"),
        (RiskInputs(model=""), "model_failure_rate", 0.0, "no model"),
        (RiskInputs(service="S", service_finished=20, service_failed=3), "service_failure_rate", 7.5, "3 of 20 (15%)"),
        (
            RiskInputs(component_deployments=4, component_incidents=2),
            "component_incidents",
            10.0,
            "2 after 4 deployments",
        ),
        (RiskInputs(versions=3), "change_size", 5.0, "3 versions"),
        (RiskInputs(freeze="near", freeze_name="F"), "freeze", 5.0, "near"),
        (RiskInputs(windowed=False, freeze=""), "freeze", 0.0, "no window"),
        (RiskInputs(maintenance_required=True, outside_maintenance=False), "maintenance_window", 0.0, "inside"),
        (RiskInputs(versions=4, new_versions=1), "first_to_environment_kind", 3.8, "1 of 4 new"),
        (RiskInputs(versions=2, new_versions=2, removal=True), "first_to_environment_kind", 0.0, "removal"),
        (RiskInputs(practitioners=(("Pat", 2), ("Sam", 7))), "practitioner_experience", 9.0, "Pat: 2"),
        (RiskInputs(), "practitioner_experience", 7.5, "none assigned"),
    ],
)
def test_each_factor_contributes_its_weight_times_its_level(inputs, factor, contribution, value):
    # when the inputs are scored
    found = {f.factor: f for f in risk_assess(inputs).factors}[factor]
    # then the factor shows its contribution, the number behind it, and a sentence saying why
    assert (found.contribution, found.value) == (contribution, value)
    assert found.detail


# --- the records behind it ---------------------------------------------------------------------------------------


@pytest.fixture
def records(db):
    """A service with a component, a test environment, a model, and a plan to score as of AS_OF."""
    service = ServiceFactory(name="Shop")
    component = ComponentFactory(service=service, name="shop-web")
    environment = EnvironmentFactory(name="Test A", kind=EnvironmentKind.TEST)
    model = DeploymentModelFactory(name="Web", active=True)
    version = ComponentVersionFactory(component=component, version="2.0.0")
    plan = DeploymentFactory(
        service=service,
        environment=environment,
        model=model,
        planned_start=AS_OF + dt.timedelta(days=3),
        versions=[version],
    )
    return {
        "service": service,
        "component": component,
        "env": environment,
        "model": model,
        "version": version,
        "plan": plan,
    }


def _finished(r, *, days_ago: float, status=Status.COMPLETED, **extra):
    """A deployment planned `days_ago` before AS_OF that finished two hours after its start."""
    start = AS_OF - dt.timedelta(days=days_ago)
    extra.setdefault("versions", [ComponentVersionFactory(component=ComponentFactory(service=r["service"]))])
    return DeploymentFactory(
        **{"service": r["service"], "environment": r["env"], "model": r["model"], **extra},
        status=status,
        planned_start=start,
        planned_end=start + dt.timedelta(hours=2),
        actual_start=start,
        actual_end=start + dt.timedelta(hours=2),
    )


def _score(plan, **kwargs):
    return {f.factor: f for f in deployment_risk_assess(deployment=plan, as_of=AS_OF, **kwargs).factors}


def test_failure_rates_count_the_90_days_before_and_only_what_had_finished(records):
    # given, for the model and its service: 4 finished in the window, one failed and one rolled back; one failure
    # before the window; one planned in the window that finished after the moment scored; one cancelled
    r = records
    _finished(r, days_ago=10)
    _finished(r, days_ago=20)
    _finished(r, days_ago=30, status=Status.FAILED)
    _finished(r, days_ago=40, status=Status.ROLLED_BACK)
    _finished(r, days_ago=120, status=Status.FAILED)
    late = _finished(r, days_ago=0.02, status=Status.FAILED)
    assert late.actual_end > AS_OF
    DeploymentFactory(
        service=r["service"], model=r["model"], status=Status.CANCELLED, planned_start=AS_OF - dt.timedelta(days=5)
    )
    # and another service's failure under the same model
    _finished({**r, "service": ServiceFactory()}, days_ago=15, status=Status.FAILED)
    # when the plan is scored as of AS_OF
    factors = _score(r["plan"])
    # then the model: 3 of 5 failed; the service: 2 of 4
    assert factors["model_failure_rate"].value == "3 of 5 (60%)"
    assert factors["model_failure_rate"].contribution == 15.0
    assert factors["service_failure_rate"].value == "2 of 4 (50%)"
    assert factors["service_failure_rate"].contribution == 15.0


def test_incidents_after_recent_deployments_of_the_same_components(records):
    # given two recent deployments of the plan's component, with incidents: two standing, one withdrawn, and one
    # opened after the moment scored; and an incident on a deployment of another component
    r = records
    same = ComponentVersionFactory(component=r["component"], version="1.9.0")
    first = _finished(r, days_ago=10, versions=[same])
    second = _finished(r, days_ago=20, versions=[same])
    first.incidents.create(incident_ref="INC1", opened_at=AS_OF - dt.timedelta(days=9))
    second.incidents.create(incident_ref="INC2", opened_at=AS_OF - dt.timedelta(days=19))
    second.incidents.create(
        incident_ref="INC3",
        opened_at=AS_OF - dt.timedelta(days=19),
        withdrawn_at=AS_OF - dt.timedelta(days=18),
        withdrawn_reason="Not ours",
    )
    second.incidents.create(incident_ref="INC4", opened_at=AS_OF + dt.timedelta(hours=1))
    _finished(r, days_ago=5).incidents.create(incident_ref="INC5", opened_at=AS_OF - dt.timedelta(days=4))
    # when the plan is scored
    factor = _score(r["plan"])["component_incidents"]
    # then two incidents after two deployments count: 2 of 3 → 10 of 15 points
    assert (factor.value, factor.contribution) == ("2 after 2 deployments", 10.0)


def test_change_size_counts_the_component_versions(records):
    # given a plan of three component versions
    r = records
    versions = [
        r["version"],
        *(ComponentVersionFactory(component=ComponentFactory(service=r["service"])) for _ in range(2)),
    ]
    r["plan"].component_versions.set(versions)
    # then the size gives (3 − 1) / 4 of its 10 points
    factor = _score(r["plan"])["change_size"]
    assert (factor.value, factor.contribution) == ("3 versions", 5.0)


@pytest.mark.parametrize(
    ("offset_hours", "expected"), [(0, ("inside", 10.0)), (-14, ("near", 5.0)), (-72, ("clear", 0.0))]
)
def test_freeze_inside_near_or_clear(records, offset_hours, expected):
    # given a freeze of the environment from 2030-03-04 10:00 for a day, and the plan's window moved around it
    r = records
    freeze_start = AS_OF + dt.timedelta(days=3)
    FreezeWindowFactory(environment=r["env"], start=freeze_start, end=freeze_start + dt.timedelta(days=1))
    plan = r["plan"]
    plan.planned_start = freeze_start + dt.timedelta(hours=offset_hours)
    plan.planned_end = plan.planned_start + dt.timedelta(hours=2)
    # then inside gives the full 10 points, within a day half, further away none
    factor = _score(plan)["freeze"]
    assert (factor.value, factor.contribution) == expected


def test_outside_the_maintenance_windows_of_an_environment_that_requires_them(records):
    # given an environment that accepts deployments only in its Saturday-night window, and a Wednesday plan
    r = records
    r["env"].requires_maintenance_window = True
    r["env"].save()
    MaintenanceWindowFactory(environment=r["env"])
    # then the window factor gives its 5 points
    factor = _score(r["plan"])["maintenance_window"]
    assert (factor.value, factor.contribution) == ("outside", 5.0)


def test_first_deployment_of_a_version_to_this_kind_of_environment(records):
    # given two versions: one completed before in another test environment, one only failed there
    r = records
    other_test = EnvironmentFactory(kind=EnvironmentKind.TEST)
    known, new = r["version"], ComponentVersionFactory(component=r["component"], version="2.1.0")
    _finished({**r, "env": other_test}, days_ago=200, versions=[known])
    _finished({**r, "env": other_test}, days_ago=10, versions=[new], status=Status.FAILED)
    r["plan"].component_versions.set([known, new])
    # then one of the two is new to a test environment: half of 15 points
    factor = _score(r["plan"])["first_to_environment_kind"]
    assert (factor.value, factor.contribution) == ("1 of 2 new", 7.5)


def test_whether_a_version_was_deployed_before_is_read_as_whether_not_how_often(records):
    from apps.deployments.risk import selectors

    # given a version completed three times in test environments, once by a removal, and a version never completed
    r = records
    known, new = r["version"], ComponentVersionFactory(component=r["component"], version="2.1.0")
    for days_ago in (200, 100, 50):
        _finished({**r, "env": EnvironmentFactory(kind=EnvironmentKind.TEST)}, days_ago=days_ago, versions=[known])
    _finished(r, days_ago=20, versions=[new], action="remove")
    r["plan"].component_versions.set([known, new])
    # when the counts behind the score are read
    facts = selectors._Facts(
        service_id=r["service"].pk,
        model_id=None,
        environment_id=r["env"].pk,
        kind=EnvironmentKind.TEST,
        exclude_pk=r["plan"].pk,
        component_ids=(r["component"].pk,),
        version_ids=(known.pk, new.pk),
        user_ids=(),
        as_of=AS_OF,
    )
    counts = selectors._counts(facts)
    # then each version's column says whether it was completed before (the first deployment found is enough), not
    # how often, and the removal does not count
    assert (counts["version_0"], counts["version_1"]) == (1, 0)
    factor = _score(r["plan"])["first_to_environment_kind"]
    assert factor.value == "1 of 2 new"


def test_the_least_experienced_practitioner_in_the_environment_counts(records):
    # given Pat with two deployments finished in the environment this year (and one elsewhere, one two years ago),
    # and Sam with six
    r = records
    pat = UserFactory(username="pat", first_name="Pat", last_name="Doe")
    sam = UserFactory(username="sam", first_name="Sam", last_name="Roe")
    for days in (10, 200):
        _finished(r, days_ago=days, practitioners=[pat])
    _finished({**r, "env": EnvironmentFactory()}, days_ago=5, practitioners=[pat])
    _finished(r, days_ago=800, practitioners=[pat])
    for days in range(1, 7):
        _finished(r, days_ago=days * 7, practitioners=[sam])
    practitioner_counts_rebuild()  # the rows were written as they are, not through the transitions that keep the counts
    r["plan"].practitioners.set([pat, sam])
    # then Pat's two of five give 60 % of 15 points
    factor = _score(r["plan"])["practitioner_experience"]
    assert (factor.value, factor.contribution) == ("Pat Doe: 2", 9.0)


def test_scoring_a_plan_costs_a_bounded_number_of_queries_however_long_the_history(records, django_assert_num_queries):
    # given a history of many deployments, incidents and practitioners
    r = records
    practitioner = UserFactory()
    for days in range(1, 30):
        d = _finished(r, days_ago=days, versions=[r["version"]], practitioners=[practitioner])
        d.incidents.create(incident_ref=f"INC{days}", opened_at=d.actual_end)
    r["env"].requires_maintenance_window = True
    r["env"].save()
    plan = r["plan"]
    versions, practitioners = list(plan.component_versions.all()), [practitioner]
    # then the records are read in two queries: the counts (failure rates, components, versions done, people's
    # experience, freeze windows near: none) in one, the maintenance windows
    with django_assert_num_queries(2):
        inputs = risk_inputs(deployment=plan, as_of=AS_OF, versions=versions, practitioners=practitioners)
    assert inputs.component_incidents == 29


def test_a_deployment_with_two_versions_of_the_components_counts_once_and_its_incidents_once_each(records):
    # given a recent deployment with two versions of the plan's component and two standing incidents, and one with a
    # version of another component of the service
    r = records
    a, b = (ComponentVersionFactory(component=r["component"], version=v) for v in ("1.8.0", "1.9.0"))
    both = _finished(r, days_ago=10, versions=[a, b])
    for ref in ("INC1", "INC2"):
        both.incidents.create(incident_ref=ref, opened_at=AS_OF - dt.timedelta(days=9))
    _finished(r, days_ago=12).incidents.create(incident_ref="INC3", opened_at=AS_OF - dt.timedelta(days=11))
    # when the plan is scored
    inputs = risk_inputs(deployment=r["plan"], as_of=AS_OF)
    # then one deployment and its two incidents count, as whole numbers
    assert (inputs.component_deployments, inputs.component_incidents) == (1, 2)
    assert isinstance(inputs.component_incidents, int)


def _history_of_every_count(r) -> list:
    """Records behind every count of the score, and plans of several shapes to score against them."""
    other_test = EnvironmentFactory(kind=EnvironmentKind.TEST)
    known, new = r["version"], ComponentVersionFactory(component=r["component"], version="2.1.0")
    _finished({**r, "env": other_test}, days_ago=200, versions=[known])
    _finished(r, days_ago=10, status=Status.FAILED, versions=[new])
    for days in (20, 30, 40):
        d = _finished(r, days_ago=days, versions=[known])
        d.incidents.create(incident_ref=f"INC{days}", opened_at=d.actual_end)
    _finished(r, days_ago=50, status=Status.ROLLED_BACK)
    _finished({**r, "model": None}, days_ago=60)
    FreezeWindowFactory(
        environment=r["env"], start=AS_OF + dt.timedelta(days=3, hours=3), end=AS_OF + dt.timedelta(days=4)
    )
    second = DeploymentFactory(
        service=r["service"],
        environment=other_test,
        model=None,
        planned_start=AS_OF + dt.timedelta(days=30),
        versions=[known, new],
    )
    unwindowed = DeploymentFactory(service=r["service"], environment=r["env"], model=r["model"], versions=[new])
    unwindowed.planned_start = unwindowed.planned_end = None
    return [r["plan"], second, unwindowed]


def test_the_prepared_counts_answer_as_the_plan_made_for_their_values_does(records):
    """The counts' statement is prepared on each connection: PostgreSQL may run it by one generic plan for any values,
    which must answer as the plan made for each plan's values does."""
    from apps.deployments.risk import selectors

    # given records behind every count and plans of three shapes (a model or none, one or two versions, a window or
    # none)
    plans = _history_of_every_count(records)
    texts = [selectors._counts_query(_shape_of(plan), "default").sql for plan in plans]
    # the connection outlives the test: other tests may have run these statements before
    generic_before = [_generic_plans(text) for text in texts] if prepares(connection) else []
    # when each plan's records are read by the plan for its values, then by the generic plan
    answers = _by_either_plan(plans)
    # then both read the same, and the records are there to be read
    assert answers["force_custom_plan"] == answers["force_generic_plan"]
    first = answers["force_custom_plan"][0]
    assert (first.service_finished, first.service_failed, first.model_finished, first.model_failed) == (6, 2, 5, 2)
    assert (first.component_deployments, first.component_incidents, first.new_versions, first.freeze) == (
        4,
        3,
        0,
        "near",
    )
    if prepares(connection):
        # and on PostgreSQL each shape's statement (three shapes, three statements) was prepared and run by its
        # generic plan the second time
        assert len(set(texts)) == 3
        assert [_generic_plans(text) for text in texts] == [n + 1 for n in generic_before]


def _by_either_plan(plans) -> dict:
    """The risk inputs of `plans` as of AS_OF, read by plans made for their values (`force_custom_plan`), then by the
    prepared statements' generic plans (`force_generic_plan`); the same reading twice where nothing is prepared."""
    answers = {}
    for mode in ("force_custom_plan", "force_generic_plan"):
        if prepares(connection):
            with connection.cursor() as cursor:
                cursor.execute(f"SET plan_cache_mode = {mode}")
        try:
            answers[mode] = [risk_inputs(deployment=plan, as_of=AS_OF) for plan in plans]
        finally:
            if prepares(connection):
                with connection.cursor() as cursor:
                    cursor.execute("RESET plan_cache_mode")
    return answers


def _generic_plans(text: str) -> int:
    """How many times PostgreSQL ran the statement of this text prepared on the connection by its generic plan (none
    when it is not prepared)."""
    rows = plans_of(text, "generic_plans")
    return rows[0][0] if rows else 0


def _shape_of(plan) -> tuple:
    """The shape of the counts' statement that scoring `plan` (without practitioners) runs."""
    versions = list(plan.component_versions.all())
    windowed = bool(plan.planned_start and plan.planned_end and plan.planned_end > plan.planned_start)
    return (
        plan.model_id is not None,
        True,
        len({v.component_id for v in versions}),
        len(versions),
        0,
        windowed,
    )


def test_a_plan_with_practitioners_reads_their_experience_by_either_plan(records):
    """With practitioners, the counts' statement is prepared too: its generic plan finds the experience's edge days by
    their ends, as the plan for the values does, and counts the same."""
    from apps.deployments.risk import selectors

    # given a practitioner's deployments finished in the plan's environment on the year's first day (after the moment
    # a year before AS_OF), inside the year, on AS_OF's day before it, and just before the year (not counted)
    r = records
    pat = UserFactory(username="pat", first_name="Pat", last_name="Doe")
    year_ago = AS_OF - dt.timedelta(days=365)
    for ended in (year_ago + dt.timedelta(hours=2), AS_OF - dt.timedelta(days=100), AS_OF - dt.timedelta(hours=3)):
        _finished(r, days_ago=(AS_OF - ended).total_seconds() / 86400 + 2 / 24, practitioners=[pat])
    _finished(r, days_ago=(AS_OF - year_ago).total_seconds() / 86400 + 1 / 24 + 2 / 24, practitioners=[pat])
    practitioner_counts_rebuild()
    r["plan"].practitioners.set([pat])
    shape = (True, True, 1, 1, 1, True)
    text = selectors._counts_query(shape, "default").sql
    generic_before = _generic_plans(text) if prepares(connection) else 0
    # when the plan is scored by the plan for its values, then by the generic plan
    answers = _by_either_plan([r["plan"]])
    # then both count the practitioner's three deployments of the year
    assert answers["force_custom_plan"] == answers["force_generic_plan"]
    assert answers["force_custom_plan"][0].practitioners == (("Pat Doe", 3),)
    if prepares(connection):
        # and on PostgreSQL the statement was prepared and run by its generic plan the second time
        assert _generic_plans(text) == generic_before + 1
