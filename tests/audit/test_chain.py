"""Chaining a batch: on PostgreSQL a few entries take one round trip with the rows they are about, their hashes worked
out by the database exactly as `entry_hash` works them out; rows handed over wait for it, but never for a read."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.chain import GENESIS, audit_append, audit_batch, audit_chain_with, audit_verify, entry_hash
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.core.compiled import InsertsTogether
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

# text the database hashes as it is: quotes, backslashes, non-ASCII (escaped by the canonical JSON), % and ;
ODD = 'a "quoted" back\\slash, é, ü, 日本, 100% ; DROP'


def _append(i: int, actor=None) -> AuditEntry:
    return audit_append(
        actor=actor,
        channel="web",
        action="changed",
        object_type="tests.thing",
        object_id=i,
        object_repr=f"{ODD} {i}",
        changes={"odd": ODD, "n": i, "nested": {"list": [1, None, ODD]}},
        service_id=i,
    )


def _checkpoint(key_id: str) -> AuditCheckpoint:
    return AuditCheckpoint(at=timezone.now(), entry_count=0, head_hash=GENESIS, signature="", key_id=key_id)


@pytest.mark.parametrize("count", [1, 2, 10, 11])
def test_a_batch_of_entries_chains_as_entry_hash_does(count):
    # given a user and the chain's head
    actor = UserFactory(roles=["manager"])
    head = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    # when a batch appends entries with awkward text (11: more than go in one statement)
    with transaction.atomic(), audit_batch():
        entries = [_append(i, actor if i % 2 else None) for i in range(count)]
    # then each is stored with the hash entry_hash gives, linked to the one before, and the chain verifies
    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in entries]
    prev = head
    for entry, kept in zip(entries, stored, strict=True):
        assert (kept.prev_hash, kept.hash) == (prev, entry_hash(prev, kept)) == (entry.prev_hash, entry.hash)
        prev = kept.hash
    assert audit_verify().ok


def test_rows_handed_to_the_chain_are_written_before_any_other_statement_reads():
    # given a batch in which rows are handed over to wait for the chain
    with transaction.atomic(), audit_batch():
        together = InsertsTogether(using="default")
        together.add([_checkpoint("waiting-row")])
        audit_chain_with(together)
        # when anything is read before the batch ends, then the rows are there
        assert AuditCheckpoint.objects.filter(key_id="waiting-row").exists()
        _append(1)
    assert AuditCheckpoint.objects.filter(key_id="waiting-row").count() == 1
    assert audit_verify().ok


def test_on_postgresql_the_rows_and_the_entries_take_one_round_trip():
    if connection.vendor != "postgresql":
        pytest.skip("one round trip on PostgreSQL; elsewhere the rows and the entries are inserted in turn")
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), audit_batch():
        together = InsertsTogether(using="default")
        together.add([_checkpoint("with-the-chain")])
        audit_chain_with(together)
        _append(1)
        _append(2)
    chained = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(chained) == 1
    assert "pg_advisory_xact_lock" in chained[0] and "sha256" in chained[0]
    assert AuditCheckpoint.objects.filter(key_id="with-the-chain").count() == 1
    assert audit_verify().ok


def test_rows_handed_over_are_dropped_with_a_batch_that_fails():
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        together = InsertsTogether(using="default")
        together.add([_checkpoint("dropped")])
        audit_chain_with(together)
        raise RuntimeError("refused")
    assert not AuditCheckpoint.objects.filter(key_id="dropped").exists()
    assert not connection.execute_wrappers
