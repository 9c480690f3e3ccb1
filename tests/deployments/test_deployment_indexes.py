"""The deployments' indexes (apps/deployments/models/deployment.py): every write of a deployment enters each of its
table's indexes and those of its history, so none is kept that another index already serves."""

import pytest
from django.db import connection

from apps.deployments.models import Deployment
from tests.factories.deployments import DeploymentFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]


def _indexes(table: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, i.indisunique, i.indpred IS NOT NULL, am.amname,
                 array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o),
                 i.indexprs IS NOT NULL,
                 bool_and(oc.opcdefault)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
               JOIN LATERAL unnest(i.indclass) AS ic(opc) ON true JOIN pg_opclass oc ON oc.oid = ic.opc
               WHERE i.indrelid = %s::regclass
               GROUP BY c.relname, i.indisunique, i.indpred, am.amname, i.indkey, i.indexprs, i.indrelid""",
            [table],
        )
        names = ("name", "unique", "partial", "method", "columns", "expression", "default_opclasses")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_no_plain_index_of_a_deployment_is_led_by_another():
    # given the deployments' indexes
    indexes = _indexes(Deployment._meta.db_table)
    plain = [i for i in indexes if i["method"] == "btree" and not i["expression"] and i["default_opclasses"]]
    # then none that is plain (not unique, not partial) has columns another B-tree index starts with: that one serves
    # its look-ups (a foreign key's, on delete, too), so it would only cost every write
    redundant = [
        (i["name"], other["name"])
        for i in plain
        if not i["unique"] and not i["partial"]
        for other in plain
        if other is not i and not other["partial"] and other["columns"][: len(i["columns"])] == i["columns"]
    ]
    assert redundant == []


def test_the_keys_most_deployments_leave_empty_have_partial_indexes():
    # given the deployments' indexes
    by_columns = {tuple(i["columns"]): i for i in _indexes(Deployment._meta.db_table)}
    # then each key most deployments leave empty is indexed where it is set only, and every other key is led by one
    for key in ("stage_id", "supplier_id", "released_by_id", "pilot_confirmed_by_id"):
        assert by_columns[(key,)]["partial"], key
    for key in ("service_id", "environment_id", "model_id", "requester_id", "manager_id"):
        assert any(columns[:1] == (key,) for columns in by_columns), key


def test_the_history_of_a_deployment_is_indexed_by_deployment_date_and_user_alone():
    # given a deployment with its history
    deployment = DeploymentFactory()
    history = Deployment.history.model
    # then its history's table has the indexes the history is read by, and none of the copied keys'
    columns = sorted(tuple(i["columns"]) for i in _indexes(history._meta.db_table))
    assert columns == [("history_date",), ("history_id",), ("history_user_id",), ("id",)]
    # and the history of one deployment is still read by its index
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            f'EXPLAIN SELECT * FROM "{history._meta.db_table}" WHERE id = %s ORDER BY history_date',  # noqa: S608
            [deployment.pk],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Index" in plan and "Seq Scan" not in plan
