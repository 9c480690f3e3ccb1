"""The deployments pending approval counted by the services (DeploymentPendingCount): after every kind of write —
plan, submit, a first of two approvals, approve, reject, revise, cancel, an edit that moves a pending deployment to
another stage, a re-plan that sends an approved one back — the rows equal a recomputation from the deployments and a
rebuild; and the home page's "awaiting my approval", read from them, equals `awaiting_approval(...).count()` for
every role, deputies with and without the global view included."""

from collections import Counter

import pytest

from apps.deployments.home import next_actions
from apps.deployments.models import ALL, Deployment, DeploymentPendingCount
from apps.deployments.selectors.work import awaiting_approval, awaiting_approval_count
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory, advance, plan, soon
from tests.factories.people import DelegationFactory

pytestmark = pytest.mark.django_db
TITLE = "Deployments awaiting my approval"


def _kept() -> dict:
    rows = DeploymentPendingCount.objects.filter(deployments__gt=0)
    return {(r.environment_id, r.service_id, r.stage_id, r.requester_id): r.deployments for r in rows}


def _recomputed() -> dict:
    counts: Counter = Counter()
    for d in Deployment.objects.filter(status=Status.PENDING_APPROVAL):
        counts[(d.environment_id, d.service_id, d.stage_id or 0, d.requester_id)] += 1
        counts[(ALL, ALL, ALL, d.requester_id)] += 1
        counts[(ALL, ALL, ALL, ALL)] += 1
    return dict(counts)


def _pending(w, requester, environment, *, model=None, days=20, service=None):
    d = plan(
        requester=requester,
        service=service or w.service,
        environment=environment,
        versions=[w.version_2 if service is None else w.other_version],
        model=model,
        start=soon(days),
    )
    return deployment_transition(ctx=Context(actor=requester), deployment=d, transition="submit")


def _transition(d, actor, name, comment=""):
    return deployment_transition(ctx=Context(actor=actor), deployment=d, transition=name, comment=comment)


def test_the_counts_follow_every_write_and_equal_a_rebuild(world):
    w = world
    boss = UserFactory(roles=["manager"])
    owner, product_owner, manager = w.users["service_owner"], w.users["product_owner"], w.users["manager"]
    writes = []

    def check(what):
        writes.append(what)
        assert _kept() == _recomputed(), what

    # plan (a draft is not pending), submit
    d1 = plan(requester=product_owner, service=w.service, environment=w.env_staging, versions=[w.version_2])
    check("plan")
    assert _kept() == {}
    d1 = _transition(d1, product_owner, "submit")
    check("submit")
    assert _kept()[(ALL, ALL, ALL, product_owner.pk)] == 1
    # under a stage asking for two approvals, the owner's sign-off among them: the first leaves it pending
    w.stage_test.pre_approved, w.stage_test.approvals_required = False, 2
    w.stage_test.requires_service_owner_approval = True
    w.stage_test.save()
    d2 = _pending(w, manager, w.env_test, model=w.model, days=30)
    check("submit under a sign-off stage")
    assert d2.stage_id == w.stage_test.pk and (w.env_test.pk, w.service.pk, w.stage_test.pk, manager.pk) in _kept()
    d2 = _transition(d2, boss, "approve")
    check("first of two approvals")
    d2 = _transition(d2, owner, "approve")
    check("approve")
    assert d2.status == Status.APPROVED
    # reject, revise, submit again, withdraw (cancel)
    d3 = _pending(w, owner, w.env_staging, days=40)
    d3 = _transition(d3, boss, "reject", "not now")
    check("reject")
    d3 = _transition(d3, owner, "revise")
    check("revise")
    d3 = _transition(d3, owner, "submit")
    check("submit again")
    d3 = _transition(d3, owner, "cancel", "withdrawn")
    check("cancel")
    # an edit of a pending deployment moving it to another environment and stage
    d4 = _pending(w, product_owner, w.env_staging, model=w.model, days=50)
    before = d4.stage_id
    d4 = deployment_update(
        ctx=Context(actor=boss), deployment=d4, data={"environment": w.env_prod}, expected_version=None
    )
    check("edit of a pending deployment")
    assert d4.status == Status.PENDING_APPROVAL and d4.stage_id != before
    # a re-plan sends an approved deployment back for approval
    d5 = advance(_pending(w, product_owner, w.env_test, days=60), to=Status.APPROVED, manager=boss)
    check("approve")
    start = soon(90)
    d5 = deployment_update(
        ctx=Context(actor=boss),
        deployment=d5,
        data={"planned_start": start, "planned_end": start + (d5.planned_end - d5.planned_start)},
        expected_version=None,
    )
    check("replan")
    assert d5.status == Status.PENDING_APPROVAL
    # then a rebuild, alone and with the KPI rollups, makes the same rows
    kept = _kept()
    assert kept and len(writes) == 12
    counts_rebuild()
    assert _kept() == kept
    kpi_rollup_rebuild()
    assert _kept() == kept


@pytest.fixture
def pending_world(world):
    """Pending deployments of every kind a role's count tells apart: requested by each role, of the owners' service
    and another, under a sign-off stage and not, in two environments; written by factory too (then rebuilt)."""
    w = world
    for requester in (w.users["product_owner"], w.users["service_owner"], w.users["manager"]):
        _pending(w, requester, w.env_staging)
        _pending(w, requester, w.env_prod, model=w.model, days=30)
    _pending(w, w.users["manager"], w.env_staging, service=w.other_service, days=25)
    DeploymentFactory(status=Status.PENDING_APPROVAL, service=w.other_service, environment=w.env_prod)
    kpi_rollup_rebuild()  # the factory's deployment is written without the services
    return w


def _deputies(w) -> dict:
    """A practitioner (sees every deployment) deputising for the manager in staging, and a service owner (sees their
    services' deployments only) deputising for every environment and service."""
    seeing = UserFactory(roles=["practitioner"])
    DelegationFactory(manager=w.users["manager"], deputy=seeing, environments=[w.env_staging])
    partial = UserFactory(roles=["service_owner"])
    w.service.owners.add(partial)
    DelegationFactory(manager=w.users["manager"], deputy=partial, environments=[])
    return {"deputy": seeing, "deputy_partial_view": partial}


def test_every_roles_count_equals_the_deployments_counted(pending_world):
    w = pending_world
    users = {**w.users, **_deputies(w)}
    counted = {}
    for key, user in users.items():
        expected = awaiting_approval(user=user).count()
        counted[key] = expected
        assert awaiting_approval_count(user=user) == expected, key
        shown = {a.title: a.count for a in next_actions(user)}
        assert shown.get(TITLE, 0) == expected, key
    # the roles tell the rows apart: the manager all but their own, the owner their sign-offs, the deputies their scope
    assert (
        counted["manager"]
        == Deployment.objects.filter(status=Status.PENDING_APPROVAL).exclude(requester=w.users["manager"]).count()
    )
    assert 0 < counted["service_owner"] < counted["manager"]
    assert counted["deputy"] > 0 and counted["deputy_partial_view"] > 0
    assert counted["auditor"] == counted["practitioner"] == counted["norole"] == 0


def test_an_owners_count_follows_the_stage_flag_and_the_owners_read_now(pending_world):
    w = pending_world
    owner = w.users["service_owner"]
    before = awaiting_approval_count(user=owner)
    w.stage_prod.requires_service_owner_approval = False
    w.stage_prod.save(update_fields=["requires_service_owner_approval"])
    assert awaiting_approval_count(user=owner) == awaiting_approval(user=owner).count() == 0 < before
    w.stage_prod.requires_service_owner_approval = True
    w.stage_prod.save(update_fields=["requires_service_owner_approval"])
    w.service.owners.remove(owner)
    assert awaiting_approval_count(user=owner) == awaiting_approval(user=owner).count() == 0


def test_the_count_reads_the_same_few_rows_whatever_the_pending_deployments(world, django_assert_num_queries):
    w = world
    manager, owner = w.users["manager"], w.users["service_owner"]
    _pending(w, w.users["product_owner"], w.env_prod, model=w.model, days=30)
    awaiting_approval_count(user=manager), awaiting_approval_count(user=owner)  # permissions cached
    with django_assert_num_queries(1):
        assert awaiting_approval_count(user=manager) == 1
    with django_assert_num_queries(2):  # the delegations in force, the rows
        assert awaiting_approval_count(user=owner) == 1
