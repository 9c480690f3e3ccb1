"""A model activated or retired is announced to the owners of the services that use it, once."""

import pytest
from django.core import mail

from apps.accounts.models import NotificationPreference
from apps.deployment_models.models import ModelAnnouncement
from apps.deployment_models.services import model_activate, model_new_version, model_retire
from apps.deployments.tasks import announce_model
from apps.deployments.workflow import Status
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


def test_retiring_a_used_model_tells_the_service_owners_once(world, django_capture_on_commit_callbacks):
    model = DeploymentModelFactory(active=True, name="Web rollout")
    DeploymentFactory(service=world.service, environment=world.env_test, model=model, status=Status.COMPLETED)
    DeploymentFactory(service=world.other_service, environment=world.env_test, model=model, status=Status.DRAFT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        model_retire(model=model, actor=world.users["manager"])
    # then the owner of the service that used it is told (a draft is not use), once
    assert [m.to for m in mail.outbox] == [[world.users["service_owner"].email]]
    assert "retired" in mail.outbox[0].subject and world.service.name in mail.outbox[0].body
    assert announce_model(model.pk, "retired") == []
    announcement = ModelAnnouncement.objects.get(model=model)
    assert announcement.recipients == [world.users["service_owner"].email]


def test_a_new_version_is_announced_to_the_services_of_the_versions_before_it(
    world, django_capture_on_commit_callbacks
):
    old = DeploymentModelFactory(active=True, name="Web rollout")
    ModelStageFactory(model=old, environment=world.env_test)
    DeploymentFactory(service=world.service, environment=world.env_test, model=old, status=Status.COMPLETED)
    new = model_new_version(model=old, actor=world.users["manager"])
    NotificationPreference.objects.create(user=world.users["service_owner"], kind="model_announcement", email=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        model_activate(model=new, actor=world.users["manager"], override_reason="Adopted after a dry run")
    assert mail.outbox == []  # the only owner turned these off
    assert ModelAnnouncement.objects.get(model=new, kind="activated").services == [world.service.name]


def test_activating_a_new_version_tells_the_owners_of_the_services_that_used_the_ones_before_it(
    world, django_capture_on_commit_callbacks
):
    # given a model used by the online shop (completed) and by payroll (a draft only: not use)
    old = DeploymentModelFactory(active=True, name="Web rollout")
    ModelStageFactory(model=old, environment=world.env_test)
    DeploymentFactory(service=world.service, environment=world.env_test, model=old, status=Status.COMPLETED)
    DeploymentFactory(service=world.other_service, environment=world.env_test, model=old, status=Status.DRAFT)
    new = model_new_version(model=old, actor=world.users["manager"])
    mail.outbox.clear()
    # when its new version is activated
    with django_capture_on_commit_callbacks(execute=True):
        model_activate(model=new, actor=world.users["manager"], override_reason="Adopted after a dry run")
    # then the shop's owner is told, once, naming the model and the service
    assert [m.to for m in mail.outbox] == [[world.users["service_owner"].email]]
    assert "activated" in mail.outbox[0].subject and world.service.name in mail.outbox[0].body
    assert announce_model(new.pk, "activated") == []
    assert ModelAnnouncement.objects.get(model=new, kind="activated").recipients == [world.users["service_owner"].email]
