"""Concurrency on PostgreSQL: two people deciding or editing the same deployment at once cannot both win."""

import threading

import pytest
from django.db import connection, connections

from apps.audit.chain import audit_verify
from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.deployments.models import Approval, Deployment
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, plan, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (CI runs this suite there too)")


def _run_together(*calls):
    """Run the calls in threads released at the same moment; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the loser's refusal is the point of the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_managers_approving_at_once_record_one_decision_each_and_one_transition():
    requester = UserFactory(roles=["product_owner"])
    m1, m2 = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    d = DeploymentFactory(status=Status.PENDING_APPROVAL, requester=requester)
    results = _run_together(
        lambda: deployment_transition(ctx=Context(actor=m1), deployment=d, transition="approve", expected_version=1),
        lambda: deployment_transition(ctx=Context(actor=m2), deployment=d, transition="approve", expected_version=1),
    )
    winners = [r for r in results if isinstance(r, Deployment)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code in ("stale_version", "invalid_transition")
    d.refresh_from_db()
    assert d.status == Status.APPROVED and d.version == 2
    assert Approval.objects.filter(deployment=d).count() == 1
    assert d.events.filter(kind="transition").count() == 1


def test_two_edits_from_the_same_version_keep_the_first():
    manager_a, manager_b = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    d = DeploymentFactory(status=Status.DRAFT)
    results = _run_together(
        lambda: deployment_update(ctx=Context(actor=manager_a), deployment=d, data={"title": "A"}, expected_version=1),
        lambda: deployment_update(ctx=Context(actor=manager_b), deployment=d, data={"title": "B"}, expected_version=1),
    )
    winners = [r for r in results if isinstance(r, Deployment)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1 and losers[0].code == "stale_version"
    d.refresh_from_db()
    assert d.title == winners[0].title and d.version == 2
    assert d.events.filter(kind="edited").count() == 1


def test_many_threads_transitioning_the_same_deployment_move_it_once():
    manager = UserFactory(roles=["manager"])
    d = DeploymentFactory(status=Status.APPROVED)
    results = _run_together(
        *[lambda: deployment_transition(ctx=Context(actor=manager), deployment=d, transition="start") for _ in range(6)]
    )
    assert sum(isinstance(r, Deployment) for r in results) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, Deployment))
    d.refresh_from_db()
    assert d.status == Status.VERIFYING_COMPONENTS
    assert d.events.filter(kind="transition").count() == 1
    assert audit_verify().ok


def test_two_approvals_booking_the_same_window_cannot_both_win():
    from apps.environments.models import Environment

    requester = UserFactory(roles=["product_owner"])
    m1, m2 = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    prod = Environment.objects.create(name="Prod", slug="prod", kind="production", allows_parallel_deployments=False)
    a = DeploymentFactory(status=Status.PENDING_APPROVAL, environment=prod, requester=requester)
    b = DeploymentFactory(
        status=Status.PENDING_APPROVAL,
        environment=prod,
        requester=requester,
        planned_start=a.planned_start,
        planned_end=a.planned_end,
    )
    results = _run_together(
        lambda: deployment_transition(ctx=Context(actor=m1), deployment=a, transition="approve"),
        lambda: deployment_transition(ctx=Context(actor=m2), deployment=b, transition="approve"),
    )
    winners = [r for r in results if isinstance(r, Deployment)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1 and losers[0].code == "schedule_conflict", results
    assert Deployment.objects.filter(pk__in=[a.pk, b.pk], status=Status.APPROVED).count() == 1


def test_plans_made_at_once_each_enter_the_audit_chain_once_and_the_chain_verifies():
    # given a manager and six other people's edits racing six plans (each plan's rows and entries go in the chain's
    # round trip, the entries hashed by the database from the head it reads under the chain's lock)
    manager = UserFactory(roles=["manager"])
    version = ComponentVersionFactory()
    environment = EnvironmentFactory()
    drafts = [DeploymentFactory(status=Status.DRAFT) for _ in range(6)]

    def planning(i):
        return lambda: plan(
            requester=manager,
            service=version.component.service,
            environment=environment,
            versions=[version],
            title=f"Plan {i}",
            start=soon(24 + i),
        )

    def editing(d):
        return lambda: deployment_update(
            ctx=Context(actor=manager), deployment=d, data={"title": "Edited"}, expected_version=None
        )

    # when they all run at once
    results = _run_together(*[planning(i) for i in range(6)], *[editing(d) for d in drafts])
    # then every plan was written with its history row and its two entries, and the chain verifies
    assert all(isinstance(r, Deployment) for r in results), results
    planned = results[:6]
    assert {d.title for d in planned} == {f"Plan {i}" for i in range(6)}
    for d in planned:
        assert d.history.filter(history_type="+").count() == 1
        entries = AuditEntry.objects.filter(object_type="deployments.deployment", object_id=str(d.pk))
        assert sorted(entries.values_list("action", flat=True)) == ["created", "created"]
    assert audit_verify().ok
