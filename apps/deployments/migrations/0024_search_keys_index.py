from django.db import migrations

# A deployment's search keys: each trigram inside a word of its upper-cased title (pg_trgm's own, so the term's
# trigrams are made the same way), prefixed with the 30-day period of its planned start ("n" when it has none). The
# register's text search asks the GIN index for the trigrams of a few recent periods at a time, newest first, and
# stops when a page is full (apps/deployments/search.py), where the title's trigram index (0003) must read every
# posting list whole, however common its trigrams. show_trgm is named with pg_trgm's schema: pg_restore builds the
# index with an empty search_path, where an unqualified name is not found (`manage.py restore` would fail).
FUNCTION = r"""
CREATE OR REPLACE FUNCTION dep_search_keys(planned_start timestamptz, title text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(p.period || t)
  FROM unnest({schema}.show_trgm(upper(title))) t,
       (SELECT coalesce(floor(extract(epoch FROM planned_start) / 2592000)::bigint::text, 'n') || ':') p(period)
  WHERE strpos(t, ' ') = 0
$$
"""


def search_keys_index(apps, schema_editor):
    """PostgreSQL with pg_trgm (0003 created it where it could): the function and its GIN index."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
        found = cursor.fetchone()
        if found is None:
            return  # no trigrams: the search keeps its plain query
    schema_editor.execute(FUNCTION.replace("{schema}", found[0]))
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS dep_search_keys ON deployments_deployment "
        "USING gin (dep_search_keys(planned_start, title::text))"
    )


def drop_search_keys_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS dep_search_keys")
        schema_editor.execute("DROP FUNCTION IF EXISTS dep_search_keys(timestamptz, text)")


class Migration(migrations.Migration):
    dependencies = [("deployments", "0023_window_length_index")]

    operations = [migrations.RunPython(search_keys_index, drop_search_keys_index)]
