"""A few audit entries inserted with their hashes worked out by PostgreSQL from the chain's head as the same statement
reads it: one statement instead of a read of the head and an insert, so that the chain's lock, the head and the entries
take one round trip.

Each entry's hash is SHA-256 over the hash before it followed by the entry's canonical text (`chain.entry_hash`): the
text is made in Python and sent as a parameter, the database prepends the hash before it and hashes the UTF-8 bytes
(`convert_to`, `sha256`, `encode(…, 'hex')`). The text is ASCII (JSON with non-ASCII escaped), so its bytes are the
same on both sides; the caller checks each returned hash against `entry_hash` all the same.
"""

import functools

from django.db import connection

from apps.audit.models import AuditEntry
from apps.core.binding import db_values, field_binders

_CHAINED = ("prev_hash", "hash")


@functools.cache
def _fields() -> list:
    """The columns an entry's values go to, in order: all but its id and the two the database works out."""
    return [f for f in AuditEntry._meta.concrete_fields if not f.primary_key and f.name not in _CHAINED]


@functools.cache
def chained_insert_sql(rows: int) -> str:
    """The INSERT of `rows` entries whose previous hash and hash the database works out, returning each entry's id,
    previous hash and hash in the entries' order. Its parameters: the genesis hash, each entry's canonical text, then
    each entry's values (`chained_insert_params`)."""
    q = connection.ops.quote_name
    table = q(AuditEntry._meta.db_table)
    head = f"SELECT {q('hash')} FROM {table} ORDER BY {q('id')} DESC LIMIT 1"  # noqa: S608 (names from the model)
    hashes = [f"h0 AS (SELECT COALESCE(({head}), %s) AS h)"]
    hashes += [
        f"h{k} AS (SELECT encode(sha256(convert_to(h{k - 1}.h || %s, 'UTF8')), 'hex') AS h FROM h{k - 1})"  # noqa: S608
        for k in range(1, rows + 1)
    ]
    values = ", ".join(["%s"] * len(_fields()))
    rows_sql = ", ".join(
        f"({values}, (SELECT h FROM h{k - 1}), (SELECT h FROM h{k}))"  # noqa: S608 (placeholders and numbers)
        for k in range(1, rows + 1)
    )
    columns = ", ".join(q(f.column) for f in [*_fields(), *(AuditEntry._meta.get_field(n) for n in _CHAINED)])
    returning = ", ".join(q(n) for n in ("id", *_CHAINED))
    return f"WITH {', '.join(hashes)} INSERT INTO {table} ({columns}) VALUES {rows_sql} RETURNING {returning}"  # noqa: S608


def chained_insert_params(entries: list[AuditEntry], canonicals: list[str], genesis: str) -> list:
    """The parameters of `chained_insert_sql(len(entries))` for these entries and their canonical texts."""
    params = [genesis, *canonicals]
    binders = _binders()
    for entry in entries:
        entry._prepare_related_fields_for_save(operation_name="bulk_create")
        params += db_values(binders, entry, connection)
    return params


@functools.cache
def _binders() -> list:
    return field_binders(_fields())
