"""The deployment representation: the per-field readers write exactly what DRF's field machinery would."""

import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from apps.deployments import workflow
from apps.deployments.api.serializers.deployments import DeploymentSerializer
from apps.deployments.models import Deployment
from tests.factories.catalog import ComponentVersionFactory

pytestmark = pytest.mark.django_db


def test_fast_representation_equals_drfs_for_every_kind_of_deployment(world):
    # given deployments in several states, with and without practitioners, manager, model, actual times
    deployments = list(Deployment.objects.prefetch_related("component_versions", "practitioners").order_by("id"))
    assert {d.status for d in deployments} >= {workflow.Status.DRAFT, workflow.Status.APPROVED}
    assert any(d.practitioners.all() for d in deployments) and any(d.model_id is None for d in deployments)
    # when each is written by the serializer and by DRF's generic ModelSerializer.to_representation
    fast = DeploymentSerializer(deployments, many=True).data
    generic = [dict(serializers.ModelSerializer.to_representation(DeploymentSerializer(), d)) for d in deployments]
    # then they are the same, field for field and in the same order
    assert [dict(row) for row in fast] == generic
    assert [list(row) for row in fast] == [list(row) for row in generic]


def test_the_list_reads_linked_ids_as_each_deployments_own_page_does(world, client_for):
    # given deployments with several component versions and practitioners (the list reads their ids on the link
    # tables, a deployment's own page through the related rows)
    deployment = Deployment.objects.filter(practitioners__isnull=False).order_by("id").first()
    deployment.component_versions.add(*(ComponentVersionFactory() for _ in range(3)))
    deployment.practitioners.add(world.users["manager"], world.users["practitioner"])
    client = client_for("manager")
    # when the list and each deployment's own representation are read
    listed = client.get("/api/v1/deployments/").json()["results"]
    # then every row is the deployment's own representation, ids in the same order
    assert len(listed) == Deployment.objects.count()
    for row in listed:
        assert row == client.get(f"/api/v1/deployments/{row['id']}/").json()
    assert len(next(r for r in listed if r["id"] == deployment.pk)["component_versions"]) >= 4


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_many_deployments_are_written_as_each_one_alone_in_the_current_time_zone(world, zone):
    # given deployments with times, read in a current time zone other than the default
    deployments = list(Deployment.objects.prefetch_related("component_versions", "practitioners").order_by("id"))
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        # when they are written as a list and one by one
        listed = DeploymentSerializer(deployments, many=True).data
        alone = [DeploymentSerializer(d).data for d in deployments]
        generic = [dict(serializers.ModelSerializer.to_representation(DeploymentSerializer(), d)) for d in deployments]
    # then each list row is the deployment alone and what DRF's fields write, key for key in the same order
    assert [list(row.items()) for row in listed] == [list(row.items()) for row in alone]
    assert [dict(row) for row in listed] == generic
    assert any(row["planned_start"] for row in listed)
