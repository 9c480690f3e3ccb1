"""How PostgreSQL would run a statement of the test's when the indexes named are a table's only ways in: the table's
other indexes (but those of its constraints) dropped inside a rolled-back savepoint, and no sequential or bitmap scan.
On a table as small as a test's, the planner's choice among indexes is a toss-up; this asks whether the ones meant for
the statement serve it, and how."""

import json

from django.db import connection, transaction


def scans_by(sql: str, params, *, table: str, indexes: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(node type, relation, index) of each scan of the plan of `sql`, with `indexes` the only ways into `table` besides
    its constraints' indexes."""
    return [scan[:3] for scan in scans_with_conditions(sql, params, table=table, indexes=indexes)]


def scans_with_conditions(sql: str, params, *, table: str, indexes: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    """`scans_by`'s scans, each with the condition it reads its index by ("" for none)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND c.relname <> ALL(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
            [table, list(indexes)],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def scans(node) -> list[tuple[str, str, str, str]]:
        own = []
        if "Relation Name" in node:
            own = [(node["Node Type"], node["Relation Name"], node.get("Index Name", ""), node.get("Index Cond", ""))]
        return own + [s for child in node.get("Plans", []) for s in scans(child)]

    return scans(plan[0]["Plan"])
