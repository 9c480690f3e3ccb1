"""The API list's filters (apps/deployments/api/filters.py): related ids taken unlooked answer exactly what the
register's form answers (the same rows, the same 400 for an unknown id), a query fewer when the page has rows."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.deployments.api.filters import DeploymentApiFilterSet
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment
from apps.deployments.selectors.visibility import deployment_list
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deployments/"
UNKNOWN = 987654


def _register_errors(query: dict) -> dict:
    """What the register's form (without `ordering`, as the API takes it) says of `query`, its ids looked up."""
    data = QueryDict(urlencode(query))
    form = DeploymentApiFilterSet(data, queryset=Deployment.objects.all()).register_form_class()(data)
    assert not form.is_valid()
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


@pytest.mark.parametrize("name", ["environment", "service", "model", "supplier", "requester", "practitioner"])
@pytest.mark.parametrize("extra", [{}, {"cursor": "zzz"}, {"ordering": "bad"}, {"status": "nope"}])
def test_an_unknown_related_id_is_the_registers_400(world, client_for, name, extra):
    # given a query naming an id that does not exist, alone or beside another bad parameter
    query = {name: str(UNKNOWN), **extra}
    # when the API list is asked
    response = client_for("manager").get(BASE, query)
    # then it is refused with the register's form's errors, in its order
    assert response.status_code == 400
    assert response.json()["errors"] == _register_errors(query)


@pytest.mark.parametrize("raw", ["abc", "0", "-1", " 1", "9223372036854775808", "1\x002", "１"])
def test_an_id_that_is_not_plain_digits_is_cleaned_as_the_register_cleans_it(world, client_for, raw):
    # given an environment id that is not ASCII digits in range (the API form looks it up as the register does)
    query = {"environment": raw.replace("1", str(world.env_test.pk)) if raw.strip() == "1" else raw}
    form = DeploymentApiFilterSet(query, queryset=Deployment.objects.all()).register_form_class()(query)
    # when the API list is asked
    response = client_for("manager").get(BASE, query)
    # then it answers as the register's form decides
    if form.is_valid():
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["errors"] == _register_errors(query)


def test_a_known_id_lists_the_registers_rows_without_looking_it_up(world, client_for):
    # given deployments in the test environment
    for _ in range(3):
        DeploymentFactory(service=world.service, environment=world.env_test)
    client = client_for("manager")
    client.get(BASE)
    query = {"environment": str(world.env_test.pk), "status": "draft"}
    # when the list is asked unfiltered and filtered by the environment
    with CaptureQueriesContext(connection) as unfiltered:
        client.get(BASE)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(BASE, query)
    # then the filtered list reads no more queries than the unfiltered one (no lookup of the environment) and
    # lists the register's rows, newest first
    assert len(filtered.captured_queries) == len(unfiltered.captured_queries)
    register = DeploymentFilterSet(QueryDict(urlencode(query)), queryset=deployment_list(user=world.users["manager"]))
    expected = register.qs.order_by("-id")
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == list(expected.values_list("id", flat=True)[:50])
    assert ids


def test_a_known_id_with_an_empty_page_is_looked_up_and_lists_nothing(world, client_for):
    # given a query naming an existing environment that no deployment of its status is in
    query = {"environment": str(world.env_test.pk), "external_id": "no such run"}
    client = client_for("manager")
    # when the list is asked
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(BASE, query)
    # then it lists nothing, having looked the environment up
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}
    assert sum('"environments_environment"' in q["sql"] for q in ctx.captured_queries) == 1


def test_the_api_form_cleans_ids_to_instances_holding_only_their_key(world):
    # given the API filter set bound to a query with an environment id
    filterset = DeploymentApiFilterSet({"environment": str(world.env_test.pk)}, queryset=Deployment.objects.all())
    # when it is validated
    assert filterset.is_valid()
    # then the environment is the id, unlooked, and the register's form class is untouched
    environment = filterset.form.cleaned_data["environment"]
    assert (environment.pk, environment.unlooked) == (world.env_test.pk, True)
    assert filterset.unlooked()
    assert filterset.get_form_class() is not DeploymentFilterSet(queryset=Deployment.objects.all()).get_form_class()
    register = DeploymentFilterSet({"environment": str(world.env_test.pk)}, queryset=Deployment.objects.all())
    assert register.is_valid() and register.form.cleaned_data["environment"] == world.env_test
    assert not hasattr(register.form.cleaned_data["environment"], "unlooked")
