"""The API's related-id fields: the ids of one body that every signed-in user may name are looked up in one query,
and refused exactly as each field refuses them alone."""

import pytest
from rest_framework.test import APIRequestFactory

from apps.deployments.api.serializers import fields
from apps.deployments.api.serializers.deployments import (
    DeploymentCreateInputSerializer,
    DeploymentUpdateInputSerializer,
)
from tests.deployments_api.conftest import window

pytestmark = pytest.mark.django_db
BASE = "/api/v1/deployments/"


def _context(user) -> dict:
    request = APIRequestFactory().post(BASE)
    request.user = user
    return {"request": request}


def _body(w, **extra) -> dict:
    return {
        "title": "Shop 1.1.0 to test",
        "service": w.service.pk,
        "environment": str(w.env_test.pk),
        "component_versions": [w.version_2.pk, w.other_version.pk],
        "manager": w.users["manager"].pk,
        "practitioners": [w.users["practitioner"].pk, str(w.users["manager"].pk)],
        "supplier": w.supplier.pk,
        **window(24 * 30),
        **extra,
    }


def test_the_ids_of_a_body_are_looked_up_in_one_query(world, django_assert_num_queries):
    # given a body naming a service, an environment, two versions, a manager, two practitioners and a supplier
    serializer = DeploymentCreateInputSerializer(data=_body(world), context=_context(world.users["manager"]))
    # when it is validated, then one query reads them all
    with django_assert_num_queries(1):
        assert serializer.is_valid(), serializer.errors
    # and each field holds the objects it names, as DRF's look-ups read them
    data = serializer.validated_data
    assert (data["service"], data["environment"], data["supplier"]) == (world.service, world.env_test, world.supplier)
    assert data["component_versions"] == [world.version_2, world.other_version]
    assert data["component_versions"][0].component == world.version_2.component
    assert data["practitioners"] == [world.users["practitioner"], world.users["manager"]]
    assert data["manager"] is data["practitioners"][1]  # one object per id and request, as before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": 999999}, "service"),
        ({"environment": "staging"}, "environment"),
        ({"environment": "²"}, "environment"),
        ({"component_versions": [999999, "x"]}, "component_versions"),
        ({"component_versions": "1"}, "component_versions"),
        ({"practitioners": [10**30]}, "practitioners"),
        ({"manager": True}, "manager"),
        ({"manager": 0}, "manager"),
        ({"supplier": 1.5}, "supplier"),
        ({"supplier": None}, None),
    ],
)
def test_unknown_and_malformed_ids_are_refused_as_each_field_refuses_them_alone(world, monkeypatch, change, field):
    # given a body with one bad id (or a null), validated with the ids looked up together and with each field's own
    def errors():
        context = _context(world.users["manager"])
        serializer = DeploymentCreateInputSerializer(data=_body(world, **change), context=context)
        serializer.is_valid()
        return serializer.errors

    together = errors()
    monkeypatch.setattr(fields, "_look_up_at_once", lambda serializer, data: None)
    alone = errors()
    # then the errors are the same, on that field only
    assert together == alone
    assert set(together) == ({field} if field else set())


def test_an_edit_reads_its_ids_in_one_query_too(world, django_assert_num_queries):
    serializer = DeploymentUpdateInputSerializer(
        world.draft,
        data={"environment": world.env_staging.pk, "practitioners": [world.users["practitioner"].pk]},
        partial=True,
        context=_context(world.users["manager"]),
    )
    with django_assert_num_queries(1):
        assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["environment"] == world.env_staging


def test_validators_are_worked_out_once_per_class(world):
    first, second = DeploymentCreateInputSerializer(), DeploymentCreateInputSerializer()
    assert first.get_validators() == second.get_validators() == []
    assert "_validators_once" in DeploymentCreateInputSerializer.__dict__
