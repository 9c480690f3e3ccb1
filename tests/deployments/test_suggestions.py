"""The planning form suggests practitioners whose skills fit: the technical-expert competency for the deployment's
environment kind and component types, cleared for its environment, not booked on an overlapping deployment; best
first, with the reason."""

import datetime as dt

import pytest
from django.test import Client
from guardian.shortcuts import assign_perm

from apps.deployments import workflow
from apps.deployments.suggestions import practitioner_suggestions
from tests.deployments.matrix import plan_data
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.factories.people import SkillFactory

pytestmark = pytest.mark.django_db


def _practitioner(w, name, *skills, cleared=True):
    user = UserFactory(username=name, roles=["practitioner"])
    for competency, kind, ctype, level in skills:
        SkillFactory(user=user, competency=competency, environment_kind=kind, component_type=ctype, level=level)
    if cleared:
        assign_perm("environments.deploy_to_environment", user, w.env_staging)
    return user


def test_the_best_fit_comes_first_and_the_unfit_are_left_out(world, django_assert_max_num_queries):
    start = soon(30)
    end = start + dt.timedelta(hours=2)
    _practitioner(world, "ada", ("T", "staging", "", 3), ("T", "", "software", 4))
    _practitioner(world, "bob", ("T", "", "", 2))
    _practitioner(world, "cy", ("C", "", "", 4))  # not a technical expert
    _practitioner(world, "dee", ("T", "", "", 4), cleared=False)  # not cleared for a controlled environment
    _practitioner(world, "eve", ("T", "production", "", 4))  # skilled elsewhere only
    busy = _practitioner(world, "fay", ("T", "", "", 4))
    DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        status=workflow.Status.APPROVED,
        versions=[world.version_1],
        practitioners=[busy],
        planned_start=start,
        planned_end=end,
    )
    with django_assert_max_num_queries(6):
        found = practitioner_suggestions(
            environment=world.env_staging, component_types={"software"}, start=start, end=end
        )
    assert [s.user.username for s in found] == ["ada", "bob"]
    assert "skilled in staging environments (level 3)" in found[0].reasons
    assert "skilled in software components (level 4)" in found[0].reasons
    assert f"cleared for {world.env_staging}" in found[0].reasons


def test_an_uncontrolled_environment_needs_no_clearance(world):
    world.env_staging.controlled = False
    world.env_staging.save()
    start = soon(31)
    _practitioner(world, "gil", ("T", "", "", 2), cleared=False)
    found = practitioner_suggestions(
        environment=world.env_staging, component_types=set(), start=start, end=start + dt.timedelta(hours=1)
    )
    assert [s.user.username for s in found] == ["gil"]


def test_the_edit_page_and_the_plan_check_show_the_suggestions(world):
    _practitioner(world, "ada", ("T", "staging", "", 3))
    client = Client()
    client.force_login(world.users["manager"])
    page = client.get(f"/deployments/{world.draft.pk}/edit/").content.decode()
    assert 'data-testid="practitioner-suggestions"' in page and "skilled in staging environments" in page


def test_checking_a_new_plan_suggests_the_practitioners_who_fit(world):
    # given a practitioner skilled in staging environments and cleared for the world's staging environment
    _practitioner(world, "ada", ("T", "staging", "software", 3))
    client = Client()
    client.force_login(world.users["product_owner"])
    # when the product owner checks a new plan for staging on the planning form
    response = client.post("/deployments/new/", plan_data(world, environment=world.env_staging.pk, check="1"))
    # then the form suggests her, with the reasons, and nothing is saved
    assert response.status_code == 200
    found = [s.user.username for s in response.context["suggestions"]]
    assert found[0] == "ada"
    page = response.content.decode()
    assert 'data-testid="practitioner-suggestions"' in page and "skilled in staging environments (level 3)" in page
