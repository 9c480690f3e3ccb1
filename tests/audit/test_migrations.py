"""A database migrated before the audit chain and the what-is-where snapshot left the reports app migrates forward
with its rows, its chain and the groups' permissions intact (the tables stay; only the models' homes change)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.audit.chain import GENESIS, audit_verify, entry_hash
from apps.audit.models import AuditEntry
from apps.deployments.models import MatrixEntry

# the leaf migrations of the apps whose models moved, as they were before the move
BEFORE = [
    ("reports", "0004_matrixentry_backfill"),
    ("deployments", "0004_conflict_window_index"),
    ("catalog", "0001_initial"),  # the service rows written below have the columns of then
    ("audit", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_migrates_forward_with_its_rows():
    # given a database at the migrations before the move, with a chain of three entries, a matrix entry, and a
    # group holding the audit and KPI permissions under their old content type
    executor = _migrate(BEFORE)
    old = executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    OldEntry = old.get_model("reports", "AuditEntry")
    prev = GENESIS
    for i in range(3):
        entry = OldEntry(
            at=dt.datetime(2026, 1, 1 + i, tzinfo=dt.UTC),
            actor_name="system",
            channel="system",
            action="note",
            object_type="test.thing",
            object_id=str(i),
            object_repr=f"thing {i}",
            changes={"field": [i, i + 1]},
        )
        entry.prev_hash, entry.hash = prev, entry_hash(prev, entry)
        prev = entry.hash
        entry.save()
    Environment = old.get_model("environments", "Environment")
    Service = old.get_model("catalog", "Service")
    environment = Environment.objects.create(name="Old test", slug="old-test", kind="test", order=1)
    service = Service.objects.create(name="Old service")
    old.get_model("reports", "MatrixEntry").objects.create(environment_id=environment.pk, service_id=service.pk)
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    entry_type = OldContentType.objects.get_or_create(app_label="reports", model="auditentry")[0]
    matrix_type = OldContentType.objects.get_or_create(app_label="reports", model="matrixentry")[0]
    OldContentType.objects.filter(
        app_label__in=["audit", "deployments"], model__in=["auditentry", "matrixentry"]
    ).delete()
    permissions = [
        OldPermission.objects.get_or_create(content_type=entry_type, codename=codename, defaults={"name": codename})[0]
        for codename in ("view_audit", "view_kpis", "export_records")
    ]
    OldPermission.objects.filter(codename__in=["view_audit", "view_kpis", "export_records"]).exclude(
        content_type=entry_type
    ).delete()
    old_group = old.get_model("auth", "Group").objects.create(name="Old auditors")
    old_group.permissions.set(permissions)

    # when it migrates forward
    _migrate(_leaves())

    # then the rows are where they were, under their new models, and the chain still verifies
    assert list(AuditEntry.objects.order_by("id").values_list("object_id", flat=True)) == ["0", "1", "2"]
    assert audit_verify().ok is True and audit_verify().checked == 3
    assert MatrixEntry.objects.filter(environment_id=environment.pk, service_id=service.pk).count() == 1
    # and the content types moved with their ids, so the group's permissions hold under their current names
    assert ContentType.objects.get(app_label="audit", model="auditentry").pk == entry_type.pk
    assert ContentType.objects.get(app_label="deployments", model="matrixentry").pk == matrix_type.pk
    group = Group.objects.get(name="Old auditors")
    held = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())
    assert held == ["audit.view_audit", "reports.export_records", "reports.view_kpis"]
