"""The tamper-evident audit log: append entries chained by SHA-256, and verify the chain.

Entries come from two places: every deployment event (the process steps) and every historical record that
django-simple-history writes (field changes of every core record). Appends are serialised (an advisory lock on
PostgreSQL; SQLite serialises writers) so the chain never forks.

On PostgreSQL a batch of a few entries is chained in one round trip: the rows whose entries they are (handed over by
`audit_chain_with`), the constraint checks, the lock, then the entries inserted with their hashes worked out by the
database from the chain's head as it reads it under the lock (the same SHA-256 over the same text as `entry_hash`,
checked again in Python).
"""

import functools
import hashlib
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.chained_insert import chained_insert_params, chained_insert_sql
from apps.audit.context import AuditContext, audit_context
from apps.audit.models import AuditEntry
from apps.core.compiled import INSERT_ROWS, InsertsTogether, insert_rows
from apps.core.db import statements_cursor

GENESIS = "0" * 64
ADVISORY_LOCK_ID = 7_240_001
STREAM_TASK = "apps.audit.tasks.stream_audit"


def entry_fields(entry: AuditEntry) -> dict:
    """The fields an entry's hash covers, as the JSON the offline verifier (apps/audit/offline) recomputes it from."""
    return json.loads(_canonical(entry))


def _canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "actor_name": entry.actor_name,
            "channel": entry.channel,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "object_repr": entry.object_repr,
            "changes": entry.changes,
            "service_id": entry.service_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode()).hexdigest()


def _lock_chain() -> None:
    """Take the chain's lock (PostgreSQL; SQLite writes one at a time anyway) — after the transaction's deferred
    foreign-key checks have run: they lock the rows they refer to, and a check left for the commit would wait, with
    the chain's lock held, for a row that a transaction waiting for the chain's lock has locked (a deadlock seen
    with two pipelines planning into one environment). Later statements are deferred again, as Django expects."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_ID])


def _lock_sql() -> str:
    """`_lock_chain`'s statements as one text (PostgreSQL)."""
    lock = f"SELECT pg_advisory_xact_lock({int(ADVISORY_LOCK_ID)})"
    return f"SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; {lock}"


@functools.cache
def _lock_and_head_sql() -> str:
    """`_lock_chain`'s statements and the read of the chain's head, in one text sent in one round trip (psycopg sends
    a text without parameters as a simple query, which may hold several statements, run in order): made once per
    process from the model's table (a constant)."""
    return f"{_lock_sql()}; {_head_sql()}"


def _head_sql() -> str:
    """The read of the chain's head: the hash of its last entry."""
    q = connection.ops.quote_name
    return f"SELECT {q('hash')} FROM {q(AuditEntry._meta.db_table)} ORDER BY {q('id')} DESC LIMIT 1"  # noqa: S608


def _lock_chain_head() -> str:
    """Take the chain's lock (as `_lock_chain`) and read the hash of its last entry (GENESIS when it has none)."""
    if connection.vendor != "postgresql":
        _lock_chain()
        return AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    with connection.cursor() as cursor:
        cursor.execute(_lock_and_head_sql())
        for _ in range(3):  # past the results of the two SETs and the lock, to the head's
            cursor.nextset()
        row = cursor.fetchone()
    return row[0] if row else GENESIS


_batch = threading.local()


@contextmanager
def audit_batch(context: AuditContext | None = None):
    """Collect the entries appended inside the block and chain them in one step at its end.

    With a `context`, the history records written inside the block are entered with its actor and channel.

    A service that writes several records (each with its history entry) and an event wraps its work in this, so
    the chain's lock is taken once, just before the transaction commits, instead of at the first entry — the
    lock is held for milliseconds, not for the rest of the service. Nested blocks join the outermost. Entries
    (and rows handed to `audit_chain_with`) are dropped when the block raises (its transaction rolls back with them).
    """
    if getattr(_batch, "entries", None) is not None:
        if context is None:
            yield
        else:
            with audit_context(context):
                yield
        return
    _batch.entries, _batch.waiting = [], []
    try:
        if context is None:
            yield
        else:
            with audit_context(context):
                yield
        entries, waiting = _batch.entries, _batch.waiting
    finally:
        _batch.entries = _batch.waiting = None
        _stop_waiting()
    _chain(entries, waiting)


def audit_chain_with(inserts: InsertsTogether) -> None:
    """Insert the rows waiting in `inserts` (records whose entries the batch chains) in the chain's own round trip at
    the end of the batch, on PostgreSQL inside a batch and a transaction; any statement sent on the connection before
    then sends them first, so nothing reads the table without them. Otherwise at once."""
    if (
        getattr(_batch, "entries", None) is None
        or connection.vendor != "postgresql"
        or inserts.using != connection.alias
        or not connection.in_atomic_block
    ):
        inserts.run()
        return
    if not _batch.waiting:
        connection.execute_wrappers.append(_send_waiting_first)
    _batch.waiting.append(inserts)


def _send_waiting_first(execute, sql, params, many, context):
    """The connection's execute wrapper while rows wait for the chain: they go first."""
    waiting, _batch.waiting = _batch.waiting, []
    _stop_waiting()
    for inserts in waiting:
        inserts.run()
    return execute(sql, params, many, context)


def _stop_waiting() -> None:
    if _send_waiting_first in connection.execute_wrappers:
        connection.execute_wrappers.remove(_send_waiting_first)


def atomic_audited(func):
    """`transaction.atomic` for a service, with the audit entries of the call chained in one step at its end.

    The service's `ctx` keyword argument (an AuditContext: the actor and channel it acts for) is the batch's
    context, so the history records the service writes are entered with them."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # called by another service: its failure fails the caller too, so no savepoint of its own is needed
        nested = getattr(_batch, "entries", None) is not None
        with transaction.atomic(savepoint=not nested), audit_batch(kwargs.get("ctx")):
            return func(*args, **kwargs)

    return wrapper


@transaction.atomic(savepoint=False)
def _chain(entries: list[AuditEntry], waiting: list[InsertsTogether] = ()) -> None:
    if connection.vendor == "postgresql" and 0 < len(entries) <= INSERT_ROWS:
        _chain_in_one_round_trip(entries, [s for s in (inserts.take() for inserts in waiting) if s is not None])
        _stream_later()
        return
    for inserts in waiting:
        inserts.run()
    if not entries:
        return
    prev = _lock_chain_head()
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = prev = entry_hash(prev, entry)
    insert_rows(entries)  # ids follow list order: the chain's order
    _stream_later()


def _chain_in_one_round_trip(entries: list[AuditEntry], statements: list) -> None:
    """The waiting rows' statements, the chain's lock (`_lock_sql`) and the entries inserted with the hashes the
    database works out from the head it reads after the lock (each statement of a text reads what was committed when
    it began), in one text. Each returned hash is checked against `entry_hash`: a difference rolls everything back."""
    canonicals = [_canonical(entry) for entry in entries]
    sql = "; ".join([*(statement[0] for statement in statements), _lock_sql(), chained_insert_sql(len(entries))])
    params = [v for statement in statements for v in statement[1]]
    params += chained_insert_params(entries, canonicals, GENESIS)
    with statements_cursor(connection) as cursor:
        cursor.execute(sql, params)
        for _sql, _params, written in statements:
            written(cursor.fetchall())
            cursor.nextset()
        for _ in range(3):  # past the results of the two SETs and the lock, to the entries'
            cursor.nextset()
        returned = cursor.fetchall()
    for entry, canonical, (pk, prev, digest) in zip(entries, canonicals, returned, strict=True):
        if digest != hashlib.sha256((prev + canonical).encode()).hexdigest():
            raise RuntimeError(f"audit entry #{pk}: the database's hash differs from entry_hash")
        entry.pk, entry.prev_hash, entry.hash = pk, prev, digest
        entry._state.adding, entry._state.db = False, connection.alias


def _stream_enqueue() -> None:
    async_task(STREAM_TASK, "append", group="audit-stream")


def _stream_later() -> None:
    """With a stream configured (`DEPLOYDESK_AUDIT_STREAM`, apps.audit.streaming), enqueue the stream task once the
    transaction that appended entries commits: once per transaction, however many batches it chained."""
    if not getattr(settings, "AUDIT_STREAM", ""):
        return
    if any(callback is _stream_enqueue for _, callback, _ in getattr(connection, "run_on_commit", [])):
        return
    transaction.on_commit(_stream_enqueue)


def audit_append(
    *,
    actor,
    channel: str,
    action: str,
    object_type: str,
    object_id,
    object_repr: str,
    changes: dict | None = None,
    service_id: int | None = None,
    at=None,
) -> AuditEntry:
    """Append one entry to the chain (inside `audit_batch()`, when the batch ends)."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        at=at or timezone.now(),
        actor=actor_obj,
        actor_name=actor_obj.username if actor_obj else "system",
        channel=channel,
        action=action[:20],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=str(object_repr)[:300],
        changes=json.loads(json.dumps(changes or {}, default=str)),
        service_id=service_id,
    )
    batch = getattr(_batch, "entries", None)
    if batch is not None:
        batch.append(entry)
    else:
        _chain([entry])
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def audit_verify(*, batch: int = 5000, start: str = GENESIS) -> VerifyResult:
    """Walk the chain in id order from `start` (the genesis, or the last archived hash); the first entry whose
    prev_hash or hash does not match breaks it."""
    prev = start
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return VerifyResult(ok=True, checked=checked)
        for entry in rows:
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.pk, "its link to the previous entry does not match")
            if entry_hash(prev, entry) != entry.hash:
                return VerifyResult(False, checked, entry.pk, "its content does not match its hash")
            prev = entry.hash
            checked += 1
            last_id = entry.pk
