"""Delegation of approval: a deployment manager's deputy approves and rejects deployments in scope on their
behalf, for a period, audited, with segregation of duties holding for both of them (pages, API, services)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.deployments import permissions, workflow
from apps.deployments.models import Approval
from apps.deployments.services import Context, deployment_transition
from apps.people import services
from apps.people.models import Delegation
from tests.factories.accounts import UserFactory
from tests.factories.deployments import plan, soon
from tests.factories.people import DelegationFactory

pytestmark = pytest.mark.django_db

APPROVE = workflow.TRANSITIONS["approve"]
REJECT = workflow.TRANSITIONS["reject"]


def _pending(w, *, requester=None, environment=None, days=20):
    deployment = plan(
        requester=requester or w.users["product_owner"],
        service=w.service,
        environment=environment or w.env_staging,
        versions=[w.version_2],
        start=soon(days),
        title="Delegated decision",
    )
    return deployment_transition(ctx=Context(actor=deployment.requester), deployment=deployment, transition="submit")


def _deputy_for(w, **scope):
    deputy = UserFactory(roles=["practitioner"])
    scope.setdefault("environments", [w.env_staging])
    return deputy, DelegationFactory(manager=w.users["manager"], deputy=deputy, **scope)


def test_a_deputy_approves_in_scope_on_the_managers_behalf_and_it_is_recorded(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world)
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == {workflow.DEPUTY}
    assert APPROVE in permissions.available_transitions(deputy, deployment)
    # when the deputy approves
    done = deployment_transition(ctx=Context(actor=deputy), deployment=deployment, transition="approve")
    # then the approval is the manager's role, on behalf of the delegating manager, and the event says so
    approval = Approval.objects.get(deployment=done)
    assert approval.user == deputy and approval.on_behalf_of == world.users["manager"] and approval.role == "manager"
    event = done.events.order_by("-id").first()
    assert event.data["on_behalf_of"] == "manager" and "On behalf of manager" in event.comment


def test_a_deputy_rejects_on_behalf_too(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world)
    done = deployment_transition(
        ctx=Context(actor=deputy), deployment=deployment, transition="reject", comment="Not this week"
    )
    assert done.status == workflow.Status.REJECTED
    assert Approval.objects.get(deployment=done).on_behalf_of == world.users["manager"]


@pytest.mark.parametrize(
    "scope",
    [
        {"environments": ["env_prod"]},  # another environment
        {"environments": [], "services": ["other_service"]},  # another service
        {"environments": ["env_staging"], "services": ["other_service"]},  # both sets must hold it
    ],
)
def test_out_of_scope_the_deputy_may_not_decide(world, scope):
    resolved = {key: [getattr(world, name) for name in names] for key, names in scope.items()}
    deputy, _ = _deputy_for(world, **resolved)
    deployment = _pending(world)
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == set()
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=Context(actor=deputy), deployment=deployment, transition="approve")
    assert not Approval.objects.filter(deployment=deployment).exists()


@pytest.mark.parametrize(
    ("starts", "ends", "revoked"),
    [(1, 5, False), (-5, -1, False), (-1, 5, True)],  # not begun, ended, revoked
)
def test_outside_its_period_or_revoked_a_delegation_gives_nothing(world, starts, ends, revoked):
    now = timezone.now()
    deputy, delegation = _deputy_for(
        world, starts_at=now + dt.timedelta(days=starts), ends_at=now + dt.timedelta(days=ends)
    )
    if revoked:
        services.delegation_revoke(actor=world.users["manager"], delegation=delegation)
    deployment = _pending(world)
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == set()


def test_segregation_of_duties_the_deputy_never_approves_their_own_request(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world, requester=deputy)
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == set()
    assert permissions.segregation_refuses(deputy, deployment, APPROVE)
    with pytest.raises(PermissionDenied, match="Segregation of duties"):
        deployment_transition(ctx=Context(actor=deputy), deployment=deployment, transition="approve")


def test_segregation_of_duties_nor_one_the_delegating_manager_requested(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world, requester=world.users["manager"])
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == set()
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=Context(actor=deputy), deployment=deployment, transition="approve")


def test_a_deputy_does_not_decide_again_for_a_manager_who_already_decided(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world)
    Approval.objects.create(
        deployment=deployment, user=world.users["manager"], role="manager", decision="approved", superseded=False
    )
    with pytest.raises(ConflictError, match="already decided"):
        deployment_transition(ctx=Context(actor=deputy), deployment=deployment, transition="approve")


def test_a_manager_who_leaves_the_role_no_longer_lends_it(world):
    deputy, delegation = _deputy_for(world)
    former = delegation.manager
    former.groups.clear()
    deployment = _pending(world)
    assert permissions.actor_capacities(deputy, deployment, APPROVE) == set()


def test_the_deputy_sees_the_deployment_among_their_approvals(world):
    from apps.deployments.selectors.work import awaiting_approval

    deputy, _ = _deputy_for(world)
    in_scope = _pending(world)
    assert list(awaiting_approval(user=deputy)) == [in_scope]


# --- the service's rules --------------------------------------------------------------------------------------


def _create(actor, deputy, w, **over):
    now = timezone.now()
    data = {
        "deputy": deputy,
        "starts_at": now,
        "ends_at": now + dt.timedelta(days=3),
        "environments": [w.env_staging],
        "services": [],
        "reason": "Leave",
        **over,
    }
    return services.delegation_create(actor=actor, **data)


def test_creating_a_delegation_is_audited_with_its_scope(world):
    delegation = _create(world.users["manager"], world.users["practitioner"], world)
    entries = AuditEntry.objects.filter(object_type="people.delegation", object_id=str(delegation.pk))
    assert {e.action for e in entries} == {"created", "scoped"}
    assert entries.get(action="scoped").changes["environments"] == [world.env_staging.slug]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"deputy": "service_owner"}, "deputy"),  # not a coordinator
        ({"deputy": "manager"}, "deputy"),  # oneself
        ({"ends_at": -1}, "ends_at"),  # before the start
        ({"environments": [], "services": []}, "environments"),  # no scope
    ],
)
def test_a_delegation_that_breaks_a_rule_is_refused_and_nothing_is_written(world, over, field):
    now = timezone.now()
    if "deputy" in over:
        over["deputy"] = world.users[over["deputy"]]
    if "ends_at" in over:
        over["ends_at"] = now - dt.timedelta(days=1)
    before = Delegation.objects.count()
    with pytest.raises(ValidationError) as caught:
        _create(world.users["manager"], over.pop("deputy", world.users["practitioner"]), world, **over)
    assert field in caught.value.message_dict
    assert Delegation.objects.count() == before


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", "norole"])
def test_only_managers_delegate(world, role):
    with pytest.raises(PermissionDenied):
        _create(world.users[role], world.users["practitioner"], world)


def test_revoking_twice_is_a_conflict(world):
    delegation = _create(world.users["manager"], world.users["practitioner"], world)
    services.delegation_revoke(actor=world.users["manager"], delegation=delegation)
    delegation.refresh_from_db()
    assert delegation.status == "revoked" and delegation.revoked_by == world.users["manager"]
    # the revocation is in the audit chain, with who revoked it
    entries = AuditEntry.objects.filter(object_type="people.delegation", object_id=str(delegation.pk))
    revoked = [e for e in entries if e.action == "changed" and "revoked_at" in (e.changes or {})]
    assert len(revoked) == 1 and revoked[0].actor == world.users["manager"]
    with pytest.raises(ConflictError):
        services.delegation_revoke(actor=world.users["manager"], delegation=delegation)


# --- API and pages ----------------------------------------------------------------------------------------------


def test_the_api_creates_lists_and_revokes(world, api_client):
    api_client.force_authenticate(world.users["manager"])
    body = {
        "deputy": world.users["practitioner"].pk,
        "starts_at": timezone.now().isoformat(),
        "ends_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "environments": [world.env_staging.pk],
    }
    created = api_client.post("/api/v1/delegations/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["manager"] == world.users["manager"].pk and created.json()["status"] == "active"
    pk = created.json()["id"]
    api_client.force_authenticate(world.users["practitioner"])
    assert pk in [row["id"] for row in api_client.get("/api/v1/delegations/").json()["results"]]
    api_client.force_authenticate(world.users["service_owner"])
    assert api_client.get(f"/api/v1/delegations/{pk}/").status_code == 404
    api_client.force_authenticate(world.users["manager"])
    revoked = api_client.post(f"/api/v1/delegations/{pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api_client.post(f"/api/v1/delegations/{pk}/revoke/").status_code == 409


def test_the_api_refuses_a_bad_delegation_with_400(world, api_client):
    api_client.force_authenticate(world.users["manager"])
    body = {
        "deputy": world.users["auditor"].pk,
        "starts_at": timezone.now().isoformat(),
        "ends_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
    }
    response = api_client.post("/api/v1/delegations/", body, format="json")
    assert response.status_code == 400


def test_the_deputy_approves_through_the_api(world, api_client):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world)
    api_client.force_authenticate(deputy)
    response = api_client.post(f"/api/v1/deployments/{deployment.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert Approval.objects.get(deployment=deployment).on_behalf_of == world.users["manager"]


def test_the_delegations_page_lists_and_creates(world, django_assert_max_num_queries):
    client = Client()
    client.force_login(world.users["manager"])
    for _ in range(3):
        _deputy_for(world)
    with django_assert_max_num_queries(20):
        page = client.get("/delegations/")
    assert page.status_code == 200 and 'data-testid="delegation-list"' in page.content.decode()
    response = client.post(
        "/delegations/",
        {
            "deputy": world.users["practitioner"].pk,
            "starts_at": "2099-01-01T08:00",
            "ends_at": "2099-01-02T08:00",
            "services": [world.service.pk],
        },
    )
    assert response.status_code == 302
    assert Delegation.objects.filter(deputy=world.users["practitioner"], services=world.service).exists()
    bad = client.post(
        "/delegations/",
        {"deputy": world.users["practitioner"].pk, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-02T08:00"},
    )
    assert bad.status_code == 400 and "at least one environment or service" in bad.content.decode()


def test_the_deployment_page_offers_the_deputy_the_approve_button(world):
    deputy, _ = _deputy_for(world)
    deployment = _pending(world)
    client = Client()
    client.force_login(deputy)
    body = client.get(f"/deployments/{deployment.pk}/").content.decode()
    assert f"/deployments/{deployment.pk}/approve/" in body or 'value="approve"' in body
