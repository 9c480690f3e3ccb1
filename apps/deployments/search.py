"""The register's text search in its own order (planned start, newest first): a page read period by period.

Through the title's trigram index (migration 0003), `UPPER(title) LIKE '%term%'` reads the posting list of every
trigram of the term whole — those of "service" hold nearly every row — and then sorts what matched: its cost grows
with the table, however few rows a page shows. The search-keys index (migration 0024) files each trigram under the
30-day period of the deployment's planned start, so a page is asked of the newest periods first, through short
posting lists, in a window that grows until it holds a full page. Every row the window returns passes the
register's own predicate (the title holds the term, or the change record is it), so the page is exactly the page of
the plain query;
where the window cannot answer (no trigram in the term, a position among undated rows, SQLite), the plain query does.
"""

import datetime as dt
import json

from django.core.cache import cache
from django.db import connections

from apps.core.pagination import KeysetPage, keyset_page, keyset_position

PERIOD = dt.timedelta(days=30)  # the period of the keys: 2592000 seconds in migration 0024's function
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
WINDOWS = (8, 32)  # periods in each try, newest first; past the last, the plain query
# the periods are counted down from the planned start of the LEAD-th newest deployment, not the newest's: a few
# deployments planned years ahead would otherwise leave the windows nearly empty and every search to the plain query;
# the rows planned after it (LEAD at most, and any planned since) are read by the planned-start index
LEAD = 200
# a term the planner expects in more than this share of the rows is read by the plain query, which walks the
# planned-start index in order and stops at a full page sooner than the periods would gather their candidates
DENSE = 0.01
# a trigram in more than this share of the newest SAMPLE titles is left out of the keys asked: its posting list holds
# nearly every row of each period and would be read whole, where the term's rarer trigrams already narrow the rows
COMMON, SAMPLE, COMMON_SECONDS = 0.05, 2000, 600
KEYS = 'dep_search_keys({t}."planned_start", {t}."title"::text)'

_available: dict[str, bool] = {}


def _period(value: dt.datetime) -> int:
    return (value - EPOCH) // PERIOD


def _usable(using: str) -> bool:
    """Whether the database has the search keys (PostgreSQL where migration 0024 could create them); asked once."""
    if using not in _available:
        ok = connections[using].vendor == "postgresql"
        if ok:
            with connections[using].cursor() as cursor:
                cursor.execute("SELECT to_regprocedure('dep_search_keys(timestamptz, text)') IS NOT NULL")
                ok = cursor.fetchone()[0]
        _available[using] = ok
    return _available[using]


def _terms(using: str, term: str, table: str) -> tuple[list[str], dt.datetime | None, dt.datetime | None, float]:
    """The term's trigrams as the keys spell them (inside its words, upper-cased then as pg_trgm folds them), the
    anchor of the periods (the planned start of the LEAD-th newest dated row, or the oldest where there are fewer),
    the oldest planned start and the table's estimated rows, in one query."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT array(SELECT t FROM unnest(show_trgm(upper(%s))) t WHERE strpos(t, ' ') = 0), "  # noqa: S608
            f'coalesce((SELECT planned_start FROM "{table}" WHERE planned_start IS NOT NULL '
            f'ORDER BY planned_start DESC OFFSET %s LIMIT 1), (SELECT min(planned_start) FROM "{table}")), '
            f'(SELECT min(planned_start) FROM "{table}"), '
            "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass)",
            [term, LEAD, table],
        )
        return cursor.fetchone()


def _dense(using: str, term: str, table: str, rows: float) -> bool:
    """Whether the planner expects the term in more than DENSE of the rows."""
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'EXPLAIN (FORMAT JSON) SELECT 1 FROM "{table}" WHERE UPPER(title::text) LIKE UPPER(%s)',  # noqa: S608
            [pattern],
        )
        plan = cursor.fetchone()[0]
    expected = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
    return expected > DENSE * max(rows, 1)


def _common_trigrams(using: str, table: str) -> frozenset[str]:
    """The trigrams of most recent titles (the register's periods are read newest first), remembered for ten
    minutes by every process (the shared cache)."""
    key = f"deployments:search-common-trigrams:{using}"
    common = cache.get(key)
    if common is None:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT t FROM (SELECT title FROM "  # noqa: S608
                f'"{table}" ORDER BY planned_start DESC NULLS FIRST, id DESC LIMIT %s) d, '
                "unnest(show_trgm(upper(d.title))) t WHERE strpos(t, ' ') = 0 GROUP BY t HAVING count(*) > %s",
                [SAMPLE, int(SAMPLE * COMMON)],
            )
            common = frozenset(t for (t,) in cursor.fetchall())
        cache.set(key, common, COMMON_SECONDS)
    return common


def search_page(queryset, *, term: str, after: str = "", size: int, row=None) -> KeysetPage | None:
    """The register's page of `queryset` — filtered by everything but the text — searched for `term` as
    DeploymentFilterSet.filter_text does, in the register's default order (planned start descending, undated first,
    then id descending) after the position `after`; None where the periods cannot answer, and the caller reads the
    plain query."""
    using = queryset.db
    if not term or not _usable(using):
        return None
    table = queryset.model._meta.db_table
    trigrams, anchor, oldest, rows = _terms(using, term, table)
    # the plain query reads the posting list of each trigram of the term whole: short ones, unless one is common
    common = _common_trigrams(using, table)
    rare = [t for t in trigrams if t not in common]  # any subset of the trigrams still narrows exactly
    position = keyset_position(after)
    if not rare or len(rare) == len(trigrams) or anchor is None or (position is not None and position[0] is None):
        return None
    if _dense(using, term, table, rows):
        return None
    trigrams = rare
    after = after if position is not None else ""  # an unreadable token is the first page, as keyset_page reads it
    top = _period(position[0]) if position is not None else _period(anchor)
    start, ref, keys = f'"{table}"."planned_start"', f'"{table}"."change_ref"', KEYS.format(t=f'"{table}"')
    # the register's predicate (filter_text: the title holds the term, or the change record is it), as strpos where
    # filter_text has LIKE: the rows are found by the keys, in a subquery read first, whatever the planner guesses
    holds = f'({ref} = %s OR strpos(UPPER("{table}"."title"::text), UPPER(%s)) > 0)'
    for width in WINDOWS:
        low = top - width + 1
        arrays = [[f"{p}:{t}" for t in trigrams] for p in range(low, top + 1)]
        arms, params = [f"{ref} = %s"], [term]
        if position is None:
            arrays.append([f"n:{t}" for t in trigrams])  # the undated rows, first in this order
            # and rows planned later than the anchor's period (LEAD at most, and any planned since): the planned-start
            # index
            arms.append(f"{start} >= %s")
            params.append(EPOCH + (top + 1) * PERIOD)
        arms += [f"{keys} @> %s::text[]"] * len(arrays)
        found = f'WITH found AS MATERIALIZED (SELECT id FROM "{table}" WHERE {" OR ".join(arms)}) SELECT id FROM found'  # noqa: S608
        where = f'"{table}"."id" IN ({found}) AND ({start} IS NULL OR {start} >= %s) AND {holds}'
        params += [*arrays, EPOCH + low * PERIOD, term, term]
        whole = low <= _period(oldest)  # the window holds every dated row: its page is the page
        page = keyset_page(
            queryset.extra(where=[where], params=params),  # noqa: S610 (column names from the model, values bound)
            key="planned_start",
            descending=True,
            after=after,
            size=size,
            row=row,
        )
        if page.has_next or whole:
            return page
    return None
