"""The deployment representation: the per-field readers write exactly what DRF's field machinery would."""

import pytest
from rest_framework import serializers

from apps.deployments import workflow
from apps.deployments.api.serializers import DeploymentSerializer
from apps.deployments.models import Deployment

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
