"""The plan form: what it offers each user, and the input it refuses before any service is called."""

import datetime as dt

import pytest

from apps.deployments.forms import DeploymentEditForm, DeploymentForm, FeedbackForm, TransitionForm
from tests.deployments.matrix import FMT, plan_data

pytestmark = pytest.mark.django_db


def test_a_valid_plan_gives_the_services_their_data(world):
    form = DeploymentForm(plan_data(world), user=world.users["product_owner"])
    assert form.is_valid(), form.errors
    data = form.service_data()
    assert data["service"] == world.service
    assert data["component_versions"] == [world.version_2]
    assert "practitioners" not in data  # only managers assign
    assert data["planned_start"].tzinfo is not None


def test_managers_assign_practitioners(world):
    data = plan_data(world, practitioners=[world.users["practitioner"].pk], manager=world.users["manager"].pk)
    form = DeploymentForm(data, user=world.users["manager"])
    assert form.is_valid(), form.errors
    assert form.service_data()["practitioners"] == [world.users["practitioner"]]
    assert form.service_data()["manager"] == world.users["manager"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"planned_end": "2030-01-01T09:00", "planned_start": "2030-01-01T10:00"}, "planned_end"),
        ({"planned_end": ""}, "planned_end"),
        ({"action": "explode"}, "action"),
        ({"trigger": ""}, "trigger"),
        ({"environment": "999999"}, "environment"),
    ],
)
def test_bad_input_is_refused_on_the_field(world, changes, field):
    form = DeploymentForm(plan_data(world, **changes), user=world.users["manager"])
    assert not form.is_valid()
    assert field in form.errors


def test_a_version_of_another_service_is_refused(world):
    form = DeploymentForm(plan_data(world, component_versions=[world.other_version.pk]), user=world.users["manager"])
    assert not form.is_valid()
    assert "component_versions" in form.errors


def test_the_edit_form_keeps_the_deployments_own_service_choosable(world):
    # given a deployment of a service the editor could not choose for a new one
    form = DeploymentEditForm(user=world.users["product_owner"], deployment=world.other_deployment)
    assert world.other_service in form.fields["service"].queryset


def test_the_edit_form_carries_the_version(world):
    initial = DeploymentEditForm.initial_for(world.draft)
    assert initial["version"] == world.draft.version
    start = world.draft.planned_start
    form = DeploymentEditForm(user=world.users["product_owner"], deployment=world.draft, initial=initial)
    assert f'value="{start.strftime(FMT)}"' in str(form["planned_start"])
    missing = plan_data(world, world.draft)
    missing.pop("version")
    assert "version" in DeploymentEditForm(missing, user=world.users["product_owner"], deployment=world.draft).errors


def test_transition_form_parses_comment_and_override(world):
    form = TransitionForm({"comment": " why ", "override_reason": "urgent", "version": "3"})
    assert form.is_valid()
    assert form.cleaned_data == {"comment": "why", "override_reason": "urgent", "version": 3}


@pytest.mark.parametrize(("lead", "quality", "valid"), [(1, 5, True), (0, 3, False), (6, 3, False), ("a", 3, False)])
def test_feedback_ratings_are_1_to_5(lead, quality, valid):
    assert FeedbackForm({"rating_lead_time": lead, "rating_quality": quality}).is_valid() is valid


def test_datetime_local_inputs_render_for_the_browser(world):
    html = str(DeploymentForm(user=world.users["manager"])["planned_start"])
    assert 'type="datetime-local"' in html
    assert dt  # the module's imports stay used
