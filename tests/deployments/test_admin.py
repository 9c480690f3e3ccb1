"""The deployments admin: read-mostly pages, transitions as admin actions via the service, an untouchable timeline."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from apps.deployments.models import Deployment, DeploymentEvent
from apps.deployments.services import Context, deployment_transition
from apps.deployments.workflow import Status

pytestmark = pytest.mark.django_db


def admin_client(client, world):
    client.force_login(world.users["admin"])
    return client


def run_action(client, action: str, *deployments):
    return client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": action, "_selected_action": [d.pk for d in deployments]},
        follow=True,
    )


def test_changelist_filters_and_searches(client, world):
    admin_client(client, world)
    url = reverse("admin:deployments_deployment_changelist")
    response = client.get(url, {"status__exact": "draft", "q": "Payroll"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [world.other_deployment]


def test_change_page_shows_the_deployment_read_only_with_its_inlines(client, world):
    admin_client(client, world)
    response = client.get(reverse("admin:deployments_deployment_change", args=[world.deployment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.deployment.reference in html
    assert 'name="title"' not in html  # nothing to edit: plans change through the services
    assert 'name="status"' not in html


def test_history_page_is_available(client, world):
    admin_client(client, world)
    response = client.get(reverse("admin:deployments_deployment_history", args=[world.deployment.pk]))
    assert response.status_code == 200


def test_submit_action_goes_through_the_service_on_the_admin_channel(client, world):
    # given a draft
    admin_client(client, world)
    # when the administrator (a superuser, so also a manager) submits it from the admin
    response = run_action(client, "transition_submit", world.draft)
    # then it is pending, the event says "admin", and the admin reports success
    world.draft.refresh_from_db()
    assert world.draft.status == Status.PENDING_APPROVAL
    event = world.draft.events.filter(kind="transition").get()
    assert (event.channel, event.actor) == ("admin", world.users["admin"])
    assert any("Submit for approval: 1" in str(m) for m in get_messages(response.wsgi_request))


def test_a_refused_action_is_reported_and_changes_nothing(client, world):
    # given the admin requested a deployment themselves and submitted it
    from tests.factories.deployments import plan

    d = plan(
        requester=world.users["admin"], service=world.service, environment=world.env_test, versions=[world.version_1]
    )
    deployment_transition(ctx=Context(actor=world.users["admin"]), deployment=d, transition="submit")
    admin_client(client, world)
    # when they approve it and also try to complete a draft from the admin
    response = run_action(client, "transition_approve", d)
    response2 = run_action(client, "transition_complete", world.draft)
    # then both are refused with a message, and nothing changed
    d.refresh_from_db()
    world.draft.refresh_from_db()
    assert d.status == Status.PENDING_APPROVAL
    assert world.draft.status == Status.DRAFT
    texts = [str(m) for m in get_messages(response.wsgi_request)] + [
        str(m) for m in get_messages(response2.wsgi_request)
    ]
    assert any("Segregation of duties" in t for t in texts)
    assert any(world.draft.reference in t and "refused" in t for t in texts)


def test_reject_action_records_a_comment(client, world):
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    admin_client(client, world)
    run_action(client, "transition_reject", world.draft)
    world.draft.refresh_from_db()
    assert world.draft.status == Status.REJECTED


def test_every_transition_people_take_has_an_admin_action():
    from apps.deployments.workflow import people_transitions

    actions = site._registry[Deployment].actions
    assert {a.__name__ for a in actions} == {f"transition_{t.name.replace('-', '_')}" for t in people_transitions()}
    assert "transition_replan" not in {a.__name__ for a in actions}  # the system's own transition


@pytest.mark.parametrize("username", ["admin", "manager"])
def test_events_cannot_be_added_changed_or_deleted(world, username):
    request = RequestFactory().get("/")
    request.user = world.users[username]
    model_admin = site._registry[DeploymentEvent]
    event = DeploymentEvent.objects.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    inline = site._registry[Deployment].get_inline_instances(request, world.deployment)
    for instance in inline:
        assert not instance.has_add_permission(request, world.deployment)
        assert not instance.has_change_permission(request, world.deployment)
        assert not instance.has_delete_permission(request, world.deployment)


@pytest.mark.parametrize(
    "name",
    ["deploymentevent", "approval", "check", "incidentlink", "feedback", "deploymentproblem", "idempotencykey"],
)
def test_related_changelists_render(client, world, name):
    admin_client(client, world)
    assert client.get(reverse(f"admin:deployments_{name}_changelist"), {"q": "DEP"}).status_code == 200


def test_non_staff_users_cannot_open_the_admin(client, world):
    client.force_login(world.users["manager"])
    response = client.get(reverse("admin:deployments_deployment_changelist"))
    assert response.status_code == 302
