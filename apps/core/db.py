"""PostgreSQL connections: timestamps read by psycopg's compiled loader, a cursor that sends several statements
with parameters in one round trip, and a cursor whose statements the server prepares.

Django's own loader parses every `timestamptz` value in Python (a regular expression and a datetime a value), which
was half the time of reading a page of 50 deployments (nine timestamps a row) on an idle machine."""

import datetime as dt
import sys

from django.conf import settings

try:
    import psycopg
    from django.db.backends.postgresql.base import Cursor as ClientBindingCursor
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.adapt import Loader
except ImportError:  # psycopg 3 is the project's driver; without it there is nothing to speed up
    psycopg = None
try:  # psycopg's conversion of a text with its cache (not public: without it, texts are split on every call)
    from psycopg._queries import PostgresClientQuery, _query2pg_client
except ImportError:
    PostgresClientQuery = None


def _fast_loader_class():
    timestamptz = psycopg.postgres.types["timestamptz"].oid
    compiled = psycopg.adapters.get_loader(timestamptz, psycopg.pq.Format.TEXT)  # C when psycopg[binary] is in

    class UtcTimestamptzLoader(Loader):
        """psycopg's own loader (which gives datetimes in the session's time zone, UTC here: the same values and the
        same `datetime.timezone.utc` as Django's), under the `timezone` attribute by which Django's cursors tell
        whether the connection's loader agrees with theirs (when it does not, Django puts its own on the cursor)."""

        timezone = dt.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = compiled(oid, context).load  # the compiled method itself: no Python frame per value

        def load(self, data):  # replaced per instance in __init__ (Loader declares it abstract)
            raise NotImplementedError

    return UtcTimestamptzLoader


_loader = None


def use_fast_timestamps(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection whose session and Django both use UTC, read `timestamptz` with the compiled
    loader (the `connection_created` receiver); any other set-up keeps Django's loader."""
    global _loader
    if psycopg is None or connection.vendor != "postgresql" or not settings.USE_TZ:
        return
    if connection.timezone != dt.UTC or connection.connection.info.parameter_status("TimeZone") != "UTC":
        return
    if _loader is None:
        _loader = _fast_loader_class()
    connection.connection.adapters.register_loader("timestamptz", _loader)


if psycopg is not None and PostgresClientQuery is not None:

    class _CompiledTextQuery(PostgresClientQuery):
        """psycopg's client-side binding, with the split of every text into its parts remembered (psycopg's own cache,
        of 128 texts): psycopg leaves texts over 4,096 characters or 50 parameters out of it, as ORMs make too many
        of those, but the texts sent here are made once per process, and splitting one of 120 parameters took about
        as long as binding them."""

        __slots__ = ()

        def convert(self, query, vars) -> None:
            if vars is None or not isinstance(query, str):
                super().convert(query, vars)
                return
            self.template, self._order, self._parts = _query2pg_client(
                query.encode(self._tx.encoding), self._tx.encoding
            )
            self.dump(vars)

    class _StatementsCursor(ClientBindingCursor):
        _query_cls = _CompiledTextQuery

elif psycopg is not None:
    _StatementsCursor = ClientBindingCursor


if psycopg is not None:

    class _PreparingCursor(ServerBindingCursor):
        """Django's server-binding cursor, its statements prepared on the connection at their first execution (psycopg
        keeps them by text and parameter types, and runs them by name afterwards). Django turns psycopg's preparing
        off for the connection (`prepare_threshold` None, under which psycopg prepares nothing, even when asked): it
        is turned on for this cursor's statements alone, with a threshold no other statement reaches."""

        def execute(self, query, params=None, *, prepare=True, binary=None):
            connection = self.connection
            threshold = connection.prepare_threshold
            if threshold is None:
                connection.prepare_threshold = sys.maxsize
            try:
                return super().execute(query, params, prepare=prepare, binary=binary)
            finally:
                connection.prepare_threshold = threshold


def prepares(connection) -> bool:
    """Whether `connection` binds parameters on the server (PostgreSQL with `server_side_binding`), where a statement
    may be prepared; not behind a connection pooler in transaction mode, where the settings turn that off."""
    return (
        psycopg is not None
        and connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    )


def prepared_cursor(connection):
    """A cursor of `connection` whose statements PostgreSQL prepares on the connection: parsed and planned at their
    first execution, then run by name, with a generic plan once PostgreSQL finds it no dearer than planning each
    time (Django prepares nothing: it turns psycopg's preparing off). For constant texts made once per process whose
    best plan does not depend on the values bound: look-ups by primary key or by a user's id, where planning took
    several times as long as running. Django logs and wraps its statements as usual. Elsewhere (SQLite, parameters
    bound on the client) the connection's usual cursor."""
    if not prepares(connection):
        return connection.cursor()
    connection.ensure_connection()
    return _wrapped(connection, _PreparingCursor(connection.connection))


def statements_cursor(connection):
    """A cursor of the PostgreSQL `connection` that binds parameters into the text (Django's own cursor class when
    the server does not bind them), so that one `execute` may send several statements separated by semicolons, each
    with its parameters, in one round trip; `nextset()` moves from one's result to the next. The connection's usual
    cursors bind on the server (prepared statements), where a text holds one statement. Django logs the text as one
    query, as it is one round trip. Give it texts made once per process: their split into parts is kept."""
    connection.ensure_connection()
    return _wrapped(connection, _StatementsCursor(connection.connection))


def _wrapped(connection, cursor):
    """`cursor` (a psycopg cursor of `connection`) as Django's `create_cursor` and `_prepare_cursor` leave one: the
    connection's time zone loader if it disagrees, Django's wrapper (its execute wrappers and query log)."""
    loader = connection.connection.adapters.get_loader(
        psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT
    )
    if connection.timezone != getattr(loader, "timezone", None):  # as Django's create_cursor does
        register_tzloader(connection.timezone, cursor)
    return connection._prepare_cursor(cursor)
