"""The what-is-where snapshot stays right through complete, fail, roll-back, release and removal — its links and its
copies of what the page shows of the deployments — and the matrix read from it shows the same cells as the matrix
ranked from the deployments."""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from apps.deployments.models import MatrixEntry
from apps.deployments.services import Context, deployment_release, deployment_transition
from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild
from apps.deployments.workflow import Status
from apps.reports.selectors import matrix
from apps.reports.selectors.matrix import matrix_build
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon, supersede_and_remove


@pytest.fixture
def rec(world):
    """The shared world with w.deployment (shop-web 1.0.0 to test) walked to completed."""
    world.completed = advance(
        world.deployment, to=Status.COMPLETED, manager=world.users["manager"], practitioner=world.users["practitioner"]
    )
    return world


LINKS = ("environment_id", "service_id", "component_id", "current_id", "current_version_id", "last_id")
COPIES = ("current_reference", "current_at", "current_released_at", "last_reference", "last_at", "last_status")


def _snapshot(fields=LINKS + COPIES) -> set[tuple]:
    return set(MatrixEntry.objects.values_list(*fields))


def _cells(data) -> list:
    return [
        (row.label, [(c.versions, c.last and c.last["id"], [u["id"] for u in c.upcoming]) for c in row.cells])
        for row in data.rows
    ]


def test_the_snapshot_follows_complete_removal_fail_and_roll_back(rec, monkeypatch):
    # given shop-web 1.0.0 completed in test (rec), 1.1.0 completed after it, payroll deployed then removed,
    # and a failed deployment rolled back in staging
    w = rec
    manager = w.users["manager"]
    newer, failing, removal = _mixed_history(w, releases=False)
    kept = _snapshot()
    by_component = matrix_build(user=manager, by="component")
    by_service = matrix_build(user=manager, by="service")
    # when the snapshot is rebuilt from the deployments
    matrix_snapshot_rebuild()
    # then it is what the transitions kept, and the cells say 1.1.0 in test, payroll removed, the roll-back last
    assert _snapshot() == kept
    test_web = MatrixEntry.objects.get(environment=w.env_test, component=w.version_2.component)
    assert (test_web.current_id, test_web.current_version_id, test_web.last_id) == (newer.pk, w.version_2.pk, newer.pk)
    gone = MatrixEntry.objects.get(environment=w.env_test, component=w.other_version.component)
    assert (gone.current_id, gone.current_version_id, gone.last_id) == (removal.pk, None, removal.pk)
    staging = MatrixEntry.objects.get(environment=w.env_staging, service=w.service, component=None)
    assert (staging.current_id, staging.last_id) == (None, failing.pk)
    staging_web = MatrixEntry.objects.get(environment=w.env_staging, component=w.version_2.component)
    assert (staging_web.current_id, staging_web.last_id) == (None, failing.pk)
    # and the snapshot's matrix is the matrix ranked from the deployments
    monkeypatch.setattr(matrix, "_snapshot_entries", lambda filterset: None)
    assert _cells(by_component) == _cells(matrix_build(user=manager, by="component"))
    assert _cells(by_service) == _cells(matrix_build(user=manager, by="service"))


@pytest.mark.django_db
def test_the_demo_data_leaves_a_snapshot_equal_to_a_rebuild():
    # given the demo data, whose seeding dates some completions after walking them through the process
    call_command("seed_demo")
    seeded = _snapshot()
    # when the snapshot is rebuilt from the deployments
    matrix_snapshot_rebuild()
    # then the demo already left it right
    assert seeded and _snapshot() == seeded


def _mixed_history(w, *, releases: bool = True):
    """Through the services: 1.0.0 completed in test (rec) and released after 1.1.0 superseded it, 1.1.0 released;
    payroll deployed then removed; a deployment failed and rolled back in staging (without `releases`, none released).
    Returns (newer, rolled back, removal)."""
    manager, boss = w.users["manager"], UserFactory(roles=["manager"])
    ctx = Context(actor=boss, channel="web")
    newer, removal = supersede_and_remove(w, manager=manager, boss=boss)
    if releases:
        deployment_release(ctx=ctx, deployment=newer, release_ref="REL-2")
        deployment_release(ctx=ctx, deployment=w.completed, release_ref="REL-1")  # no longer current anywhere
    failing = plan(
        requester=manager, service=w.service, environment=w.env_staging, versions=[w.version_2], start=soon(26)
    )
    advance(failing, to=Status.VERIFYING, manager=boss)
    failing = deployment_transition(ctx=ctx, deployment=failing, transition="fail", comment="smoke test red")
    rolled_back = deployment_transition(ctx=ctx, deployment=failing, transition="roll-back", comment="back")
    return newer, rolled_back, removal


def test_the_copies_of_what_the_page_shows_equal_a_rebuild_after_releases_and_a_roll_back(rec):
    # given a mixed history written through the services
    w = rec
    newer, rolled_back, _removal = _mixed_history(w)
    kept = _snapshot()
    # when the snapshot is rebuilt from the deployments
    matrix_snapshot_rebuild()
    # then the copies the services kept are the rebuild's: the release of the version in place, the roll-back's status
    assert _snapshot() == kept
    test_web = MatrixEntry.objects.get(environment=w.env_test, component=w.version_2.component)
    newer.refresh_from_db()
    assert (test_web.current_reference, test_web.current_at, test_web.current_released_at) == (
        newer.reference,
        newer.actual_end,
        newer.released_at,
    )
    assert newer.released_at is not None
    staging = MatrixEntry.objects.get(environment=w.env_staging, service=w.service, component=None)
    assert (staging.last_reference, staging.last_at, staging.last_status) == (
        rolled_back.reference,
        rolled_back.actual_end,
        Status.ROLLED_BACK,
    )


def test_migration_0031_fills_the_copies_of_an_upgraded_database(rec):
    # given the mixed history, and the copies empty as the columns migration 0031 adds are
    _mixed_history(rec)
    kept = _snapshot()
    MatrixEntry.objects.update(current_reference=None, current_released_at=None, last_reference=None, last_status="")
    # when the migration's fill runs
    fill = import_module("apps.deployments.migrations.0031_matrix_shown").fill
    fill(django_apps, SimpleNamespace(connection=connection))
    # then the copies are those the services kept, the links untouched
    assert _snapshot() == kept
    assert MatrixEntry.objects.exclude(last_id=None).filter(last_status="").count() == 0
