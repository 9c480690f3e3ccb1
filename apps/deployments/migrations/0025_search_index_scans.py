from django.db import migrations

# How the text search's two GIN indexes (0003's title trigrams, 0024's search keys) are scanned.
# - A new or retitled deployment is written into them at once, not into GIN's pending list: every scan reads that list
#   whole, and it grows until an insert fills gin_pending_list_limit (4 MB, some 25,000 deployments) or a vacuum
#   empties it, which autovacuum does only after a fifth of the table is new. 3,042 deployments planned through the
#   API, pending, made one scan of the search keys 81 ms at 200,000 rows, against under 1 ms once in the index.
#   Entries already pending are moved into the index here.
# - The search keys are read without parallel workers: the planner, which knows few of the keys' frequencies,
#   expects thousands of rows where a window finds a hundred, and starting two workers took 20 ms on a loaded host.
INDEXES = ("dep_title_trgm", "dep_search_keys")
FUNCTION = "dep_search_keys(timestamptz, text)"


def _exists(schema_editor, sql: str, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, [name])
        return cursor.fetchone()[0]


def tune(apps, schema_editor):
    """PostgreSQL, for the indexes 0003 and 0024 could make (pg_trgm)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        if _exists(schema_editor, "SELECT to_regclass(%s) IS NOT NULL", name):
            schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
            schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")
    if _exists(schema_editor, "SELECT to_regprocedure(%s) IS NOT NULL", FUNCTION):
        schema_editor.execute(f"ALTER FUNCTION {FUNCTION} PARALLEL RESTRICTED")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RESET (fastupdate)")
    if _exists(schema_editor, "SELECT to_regprocedure(%s) IS NOT NULL", FUNCTION):
        schema_editor.execute(f"ALTER FUNCTION {FUNCTION} PARALLEL SAFE")


class Migration(migrations.Migration):
    dependencies = [("deployments", "0024_search_keys_index")]

    operations = [migrations.RunPython(tune, untune)]
