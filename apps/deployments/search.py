"""The register's text search in its own order (planned start, newest first): a page read period by period.

Through the title's trigram index (migration 0003), `UPPER(title) LIKE '%term%'` reads the posting list of every
trigram of the term whole — those of "service" hold nearly every row — and then sorts what matched: its cost grows
with the table, however few rows a page shows. The search-keys index (migration 0024) files each trigram under the
30-day period of the deployment's planned start, so a page is asked of the newest periods first, through short
posting lists, in a window that grows until it holds a full page. Every row the window returns passes the
register's own predicate (the title holds the term, or the change record is it), so the page is exactly the page of
the plain query;
where the window cannot answer (no trigram in the term, a position among undated rows, SQLite), the plain query does.

What the windows are cut from — the anchor, the periods that hold deployments below it, the common trigrams and a
sample of titles — is a statistic of the table, read in one query at most every PROFILE_SECONDS by each process (and
shared through the cache): it decides only how much a search reads, never which rows a page shows, so a search asks
the database for its page alone.
"""

import datetime as dt
import functools
import re
import string
import time
from typing import NamedTuple

from django.core.cache import cache
from django.db import connections
from django.db.models import F

from apps.core.pagination import KeysetPage, keyset_page, keyset_position

PERIOD = dt.timedelta(days=30)  # the period of the keys: 2592000 seconds in migration 0024's function
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# the deployments each try's window holds, newest periods first; past the last, the plain query. A window is cut in
# whole periods (the keys' grain), from the newest down until they hold as many deployments, so a search reads about
# as many candidates whatever the register's density: at ten million deployments in ten years, a period holds about
# 80,000 and the first window is one period, at one million ten. Periods without any are not counted (deployments
# planned years ahead, then none until the present), but their keys are still asked, at most SPAN periods a window,
# since a deployment may be planned in them at any time
WINDOWS, SPAN = (80_000, 320_000), 96
# the periods are counted down from the planned start of the LEAD-th newest deployment, not the newest's: a few
# deployments planned years ahead would otherwise fill the first periods; the rows planned after it (LEAD at most,
# and any planned since) are read by the planned-start index
LEAD = 200
# a term in more than this share of the sampled titles is read by the plain query, which walks the planned-start index
# in order and stops at a full page sooner than the periods would gather their candidates
DENSE = 0.01
# a trigram in more than this share of the sampled titles is left out of the keys asked: its posting list holds nearly
# every row of each period and would be read whole, where the term's rarer trigrams already narrow the rows. The
# SAMPLE titles are the newest of each of the first window's periods from the anchor down, in equal shares: those the
# search reads first, however many deployments are planned years ahead
COMMON, SAMPLE, PROFILE_SECONDS = 0.05, 2000, 600
KEYS = 'dep_search_keys({t}."planned_start", {t}."title"::text)'
# a probe of every ASCII letter and digit between separators: where pg_trgm makes its trigrams as `_ascii_trigrams`
# does, an ASCII term's trigrams are made in Python, without a query
PROBE = f"{string.ascii_uppercase} {string.ascii_lowercase} {string.digits} a_b-c.d/e:f1g2"
WORD = re.compile(r"[A-Za-z0-9]+")


class Profile(NamedTuple):
    """What the windows are cut from: the anchor's period, the periods holding deployments from it down (newest
    first) with the deployments each of the first window's holds (None past it), whether they reach the oldest
    period holding any, the trigrams of more than COMMON of the sampled titles and those titles, upper-cased."""

    anchor: int | None
    periods: tuple[int, ...]
    counts: tuple[int | None, ...]
    complete: bool
    common: frozenset[str]
    titles: tuple[str, ...]


_available: dict[str, bool] = {}  # per database: whether it has the keys
_ascii: dict[str, bool] = {}  # per database: whether pg_trgm makes ASCII trigrams as `_ascii_trigrams` does
_profiles: dict[tuple[str, str], tuple[float, Profile]] = {}  # per database and table: (read at, profile)


def _period(value: dt.datetime) -> int:
    return (value - EPOCH) // PERIOD


def _ascii_trigrams(term: str) -> list[str]:
    """pg_trgm's trigrams inside the words of an ASCII text, upper-cased then folded (letters and digits words)."""
    words = (w.lower() for w in WORD.findall(term.upper()))
    return sorted({w[i : i + 3] for w in words for i in range(len(w) - 2)})


def _usable(using: str) -> bool:
    """Whether the database has the search keys (PostgreSQL where migration 0024 could create them); asked once, with
    whether its trigrams of ASCII text are those `_ascii_trigrams` makes."""
    if using not in _available:
        ok = connections[using].vendor == "postgresql"
        if ok:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "SELECT CASE WHEN to_regprocedure('dep_search_keys(timestamptz, text)') IS NOT NULL THEN "
                    "array(SELECT t FROM unnest(show_trgm(upper(%s))) t WHERE strpos(t, ' ') = 0 ORDER BY t) END",
                    [PROBE],
                )
                probe = cursor.fetchone()[0]
            ok = probe is not None
            _ascii[using] = ok and sorted(probe) == _ascii_trigrams(PROBE)
        _available[using] = ok
    return _available[using]


def _trigrams(using: str, term: str) -> list[str]:
    """The term's trigrams as the keys spell them (inside its words, upper-cased then as pg_trgm folds them)."""
    if term.isascii() and _ascii.get(using):
        return _ascii_trigrams(term)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT array(SELECT t FROM unnest(show_trgm(upper(%s))) t WHERE strpos(t, ' ') = 0)", [term])
        return cursor.fetchone()[0]


def _read_profile(using: str, table: str) -> Profile:
    """The profile, in one query: the anchor (the planned start of the LEAD-th newest dated row, or the oldest where
    there are fewer), the periods holding deployments from its period down, at most SPAN (one step of the
    planned-start index each), with how many each of the first window's holds (an index-only count; past the first
    window the periods are only listed), and the newest titles of the first window's periods, SAMPLE in equal shares."""
    period = "floor(extract(epoch FROM planned_start) / 2592000)::bigint"
    counted = f"""(SELECT count(*) FROM (SELECT 1 FROM "{table}" WHERE planned_start >= to_timestamp(q.n * 2592000.0)
        AND planned_start < to_timestamp((q.n + 1) * 2592000.0) LIMIT %(first)s) c)"""  # noqa: S608
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE anchor(a) AS (SELECT coalesce((SELECT planned_start FROM "{table}"
                  WHERE planned_start IS NOT NULL ORDER BY planned_start DESC OFFSET %(lead)s LIMIT 1),
                  (SELECT min(planned_start) FROM "{table}"))),
              periods(n, i, c, total) AS (
                SELECT r.n, 1, r.c, r.c FROM (SELECT q.n, {counted} AS c
                  FROM (SELECT floor(extract(epoch FROM a) / 2592000)::bigint AS n FROM anchor WHERE a IS NOT NULL) q) r
                UNION ALL
                SELECT x.n, i + 1, x.c, total + coalesce(x.c, 0)
                FROM periods, LATERAL (SELECT q.n, CASE WHEN periods.total < %(first)s THEN {counted} END AS c
                  FROM (SELECT {period} AS n FROM "{table}" WHERE planned_start < to_timestamp(periods.n * 2592000.0)
                  ORDER BY planned_start DESC LIMIT 1) q) x
                WHERE i < %(span)s),
              first AS (SELECT n FROM periods WHERE c IS NOT NULL),
              sample AS (SELECT upper(s.title::text) AS title FROM first p, LATERAL (SELECT title FROM "{table}"
                  WHERE planned_start >= to_timestamp(p.n * 2592000.0)
                    AND planned_start < to_timestamp((p.n + 1) * 2592000.0)
                  ORDER BY planned_start DESC LIMIT (SELECT greatest(%(sample)s / count(*), 1) FROM first)) s)
            SELECT (SELECT a FROM anchor), array(SELECT n FROM periods ORDER BY i),
              array(SELECT c FROM periods ORDER BY i),
              array(SELECT t FROM sample, unnest(show_trgm(sample.title)) t WHERE strpos(t, ' ') = 0
                    GROUP BY t HAVING count(*) > %(common)s * (SELECT count(*) FROM sample)),
              array(SELECT title FROM sample)""",  # noqa: S608 (the table's name from the model, values bound)
            {"lead": LEAD, "span": SPAN, "first": WINDOWS[0], "sample": SAMPLE, "common": COMMON},
        )
        anchor, periods, counts, common, titles = cursor.fetchone()
    return Profile(
        None if anchor is None else _period(anchor),
        tuple(periods),
        tuple(counts),
        len(periods) < SPAN,  # the walk ended before SPAN periods only where none older holds deployments
        frozenset(common),
        tuple(titles),
    )


def _profile(using: str, table: str) -> Profile:
    """The table's profile, kept PROFILE_SECONDS by this process and shared with the others through the cache."""
    now = time.time()
    key = (using, table)
    kept = _profiles.get(key)
    if kept is not None and now - kept[0] < PROFILE_SECONDS:
        return kept[1]
    shared = f"deployments:search-profile:{using}:{table}"
    kept = cache.get(shared)
    if kept is None or now - kept[0] >= PROFILE_SECONDS:
        kept = (now, _read_profile(using, table))
        cache.set(shared, kept, PROFILE_SECONDS)
    _profiles[key] = kept
    return kept[1]


@functools.lru_cache(maxsize=4)
def _joined(titles: tuple[str, ...]) -> str:
    """The sampled titles as one text, a line break between two (made once per profile)."""
    return "\n".join(titles)


def _dense(profile: Profile, term: str) -> bool:
    """Whether more than DENSE of the sampled titles hold the term. A term without a line break is counted first in
    the titles joined as one text, by C: its occurrences there lie each inside one title, and every title holding it
    has one, so a count under the share answers at once; only above it are the titles holding it counted."""
    needle = term.upper()
    limit = DENSE * max(len(profile.titles), 1)
    if "\n" not in needle and _joined(profile.titles).count(needle) <= limit:
        return False
    return sum(needle in title for title in profile.titles) > limit


def _low(top: int, deployments: int, profile: Profile) -> int:
    """The oldest period of a window holding `deployments` from `top` down, at most SPAN periods: the listed periods'
    counts as far as the profile has them, and past the counted ones the mean count of those (the listed periods
    held at that mean, then the calendar's periods, held or not, as a deployment may be planned in any); the oldest
    listed period where the profile lists them all."""
    known = [c for c in profile.counts if c is not None]
    mean = max(sum(known) // max(len(known), 1), 1)
    held, low = 0, None
    for n, count in zip(profile.periods, profile.counts, strict=True):
        if n > top:
            continue
        held, low = held + (mean if count is None else count), n
        if held >= deployments:
            return max(low, top - SPAN + 1)
    if low is not None and profile.complete:  # the profile reached the oldest period holding deployments
        return max(low, top - SPAN + 1)
    start = top if low is None else low - 1
    return max(start - -(-(deployments - held) // mean) + 1, top - SPAN + 1)


def _oldest(using: str, table: str) -> dt.datetime | None:
    """The oldest planned start now (not the profile's: a window that holds it holds every dated row)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f'SELECT min(planned_start) FROM "{table}"')  # noqa: S608 (the table's name from the model)
        return cursor.fetchone()[0]


def _joined_late(queryset, *, where: str, params: list, position, size: int, fields: tuple[str, ...]):
    """The rows of a page, its ids chosen before anything is joined: the first size + 1 of `queryset` that `where`
    finds, in the register's order after `position`, read by a query of the deployments (and what the filters join)
    alone, as an array the query of their `fields` reads first. Joined with the candidates, the planner, which takes
    the keys' array for a row or two, joined every candidate to its environment, service and model before sorting for
    the page: 817 of them in a window at ten million. keyset_page orders and cuts the rows again (a page's worth)."""
    table = queryset.model._meta.db_table
    start, pk = f'"{table}"."planned_start"', f'"{table}"."id"'
    page = queryset.extra(where=[where], params=params)  # noqa: S610 (column names from the model, values bound)
    if position is not None:  # a dated position (search_page answers no other): keyset_page's condition, earlier
        value = queryset.model._meta.get_field("planned_start").get_db_prep_value(position[0], connections[queryset.db])
        page = page.extra(where=[f"({start}, {pk}) < (%s, %s)"], params=[value, position[1]])  # noqa: S610
    ids = page.order_by(F("planned_start").desc(nulls_first=True), F("id").desc()).values("id")[: size + 1]
    # compiled as a query of its own: `where` names the table, which a sub-query of the ORM would give an alias
    sql, ids_params = ids.query.sql_with_params()
    rows = queryset.model._base_manager.db_manager(queryset.db).extra(  # noqa: S610 (SQL the ORM compiled)
        where=[f"{pk} = ANY(ARRAY({sql}))"], params=list(ids_params)
    )
    return rows.values(*fields) if fields else rows


def search_page(
    queryset, *, term: str, after: str = "", size: int, row=None, fields: tuple[str, ...] = ()
) -> KeysetPage | None:
    """The register's page of `queryset` — filtered by everything but the text — searched for `term` as
    DeploymentFilterSet.filter_text does, in the register's default order (planned start descending, undated first,
    then id descending) after the position `after`; None where the periods cannot answer, and the caller reads the
    plain query. Each row is `values(*fields)` (a model instance without `fields`), read for the page's ids alone:
    `queryset` itself selects nothing but the ids, so what `fields` joins is not joined to every candidate."""
    using = queryset.db
    if not term or not _usable(using):
        return None
    table = queryset.model._meta.db_table
    profile = _profile(using, table)
    trigrams = _trigrams(using, term)
    # the plain query reads the posting list of each trigram of the term whole: short ones, unless one is common
    rare = [t for t in trigrams if t not in profile.common]  # any subset of the trigrams still narrows exactly
    position = keyset_position(after)
    if not rare or len(rare) == len(trigrams) or profile.anchor is None:
        return None
    if (position is not None and position[0] is None) or _dense(profile, term):
        return None
    after = after if position is not None else ""  # an unreadable token is the first page, as keyset_page reads it
    top = _period(position[0]) if position is not None else profile.anchor
    start, ref, keys = f'"{table}"."planned_start"', f'"{table}"."change_ref"', KEYS.format(t=f'"{table}"')
    # the register's predicate (filter_text: the title holds the term, or the change record is it), as strpos where
    # filter_text has LIKE: the rows are found by the keys, in an array read first, whatever the planner guesses (and
    # planned in half the time of a semi-join: the array is one more condition on the primary key, not a relation)
    holds = f'({ref} = %s OR strpos(UPPER("{table}"."title"::text), UPPER(%s)) > 0)'
    oldest = ...  # read once, and only where a window's page is not full
    for width in WINDOWS:
        low = _low(top, width, profile)
        names = [str(p) for p in range(low, top + 1)]
        arms, params = [f"{ref} = %s"], [term]
        if position is None:
            names.append("n")  # the undated rows, first in this order
            # and rows planned later than the anchor's period (LEAD at most, and any planned since): the planned-start
            # index
            arms.append(f"{start} >= %s")
            params.append(EPOCH + (top + 1) * PERIOD)
        # a row's keys all carry its one period: a row holds each trigram in some period of the window exactly when
        # it is in the window and holds every trigram — one array a trigram, however many periods
        arms.append("(" + " AND ".join([f"{keys} && %s::text[]"] * len(rare)) + ")")
        params += [[f"{p}:{t}" for p in names] for t in rare]
        found = f'SELECT id FROM "{table}" WHERE {" OR ".join(arms)}'  # noqa: S608
        where = f'"{table}"."id" = ANY(ARRAY({found})) AND ({start} IS NULL OR {start} >= %s) AND {holds}'
        params += [EPOCH + low * PERIOD, term, term]
        page = keyset_page(
            _joined_late(queryset, where=where, params=params, position=position, size=size, fields=fields),
            key="planned_start",
            descending=True,
            after=after,
            size=size,
            row=row,
        )
        if page.has_next:
            return page
        if any(p < low for p in profile.periods):
            continue  # deployments were planned before the window (or were when the profile was read): read no more
        if oldest is ...:
            oldest = _oldest(using, table)
        if oldest is None or low <= _period(oldest):  # the window holds every dated row: its page is the page
            return page
    return None
