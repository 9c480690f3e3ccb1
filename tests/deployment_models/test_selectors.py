"""Selectors other apps call: applicable models, stage lookup, previous stage, active models, the filtered list."""

import pytest

from apps.deployment_models import selectors
from apps.deployment_models.models import ModelStatus
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory, environment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("component_type", "source", "expected"),
    [
        (None, None, ["Any", "HW vendor", "SW in-house", "SW pilot"]),
        ("software", None, ["Any", "SW in-house", "SW pilot"]),
        ("software", "vendor", ["Any"]),
        ("hardware", "vendor", ["Any", "HW vendor"]),
        ("data", None, ["Any"]),
    ],
)
def test_models_applicable(component_type, source, expected):
    # given
    DeploymentModelFactory(name="SW in-house", status=ModelStatus.ACTIVE, component_types=["software"])
    DeploymentModelFactory(name="SW pilot", status=ModelStatus.PILOT, component_types=["software", "data"][:1])
    DeploymentModelFactory(name="SW draft", status=ModelStatus.DRAFT, component_types=["software"])
    DeploymentModelFactory(name="SW retired", status=ModelStatus.RETIRED, component_types=["software"])
    DeploymentModelFactory(
        name="HW vendor", status=ModelStatus.ACTIVE, component_types=["hardware"], component_sources=["vendor"]
    )
    DeploymentModelFactory(name="Any", status=ModelStatus.ACTIVE, component_types=[], component_sources=[])
    # when
    found = selectors.models_applicable(component_type=component_type, source=source)
    # then
    assert sorted(m.name for m in found) == expected


def test_stage_for_and_previous_stage():
    # given
    model = DeploymentModelFactory()
    test, prod = environment("test"), environment("production")
    first = ModelStageFactory(model=model, environment=test, order=1)
    second = ModelStageFactory(model=model, environment=prod, order=5)
    # then
    assert selectors.stage_for(model=model, environment=prod) == second
    assert selectors.stage_for(model=model, environment=environment("staging")) is None
    assert selectors.previous_stage(stage=second) == first
    assert selectors.previous_stage(stage=first) is None


def test_active_models_and_pre_approval_under_pilot():
    active = DeploymentModelFactory(status=ModelStatus.ACTIVE)
    pilot = DeploymentModelFactory(status=ModelStatus.PILOT)
    a_stage = ModelStageFactory(model=active, pre_approved=True, approvals_required=0)
    p_stage = ModelStageFactory(model=pilot, pre_approved=True, approvals_required=0)
    assert list(selectors.active_models()) == [active]
    assert selectors.stage_is_pre_approved(stage=a_stage) is True
    assert selectors.stage_is_pre_approved(stage=p_stage) is False


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Alpha", "Beta", "Gamma"]),
        ({"status": "active"}, ["Alpha"]),
        ({"automation_level": "fully_automated"}, ["Beta"]),
        ({"component_type": "hardware"}, ["Gamma"]),
        ({"q": "alp"}, ["Alpha"]),
        ({"ordering": "-name"}, ["Gamma", "Beta", "Alpha"]),
        ({"status": "nonsense"}, ["Alpha", "Beta", "Gamma"]),
    ],
)
def test_model_list_filters(filters, expected):
    DeploymentModelFactory(name="Alpha", status=ModelStatus.ACTIVE)
    DeploymentModelFactory(name="Beta", automation_level="fully_automated")
    DeploymentModelFactory(name="Gamma", component_types=["hardware"])
    found = selectors.model_list(user=UserFactory(roles=["auditor"]), filters=filters)
    assert [m.name for m in found] == expected


def test_model_list_is_empty_without_the_view_permission():
    DeploymentModelFactory()
    assert list(selectors.model_list(user=UserFactory())) == []
