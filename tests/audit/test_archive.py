"""Retention: `audit_archive --before DATE` moves old entries into signed files; verification spans the archives and
the table, and still names the entry of any tampering on either side of the cut."""

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit import signing
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditArchive, AuditCheckpoint, AuditEntry, AuditStreamCursor
from tests.factories.audit import append_entries, rewrite_chain_from

pytestmark = pytest.mark.django_db

OLD = dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)
MIDDLE = dt.datetime(2022, 1, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _key_and_dir(settings, tmp_path):
    path = tmp_path / "audit.pem"
    path.write_bytes(signing.private_key_pem(Ed25519PrivateKey.generate()))
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "archives")
    signing.signing_key_clear()
    yield
    signing.signing_key_clear()


@pytest.fixture
def chain():
    """Four entries of 2020, a checkpoint, three of 2022, a checkpoint, two of today."""
    old = append_entries(4, at=OLD)
    checkpoint_create(ship=False)
    middle = append_entries(3, start=10, at=MIDDLE)
    checkpoint_create(ship=False)
    new = append_entries(2, start=20)
    return old, middle, new


def _fails() -> str:
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_trail")
    assert info.value.returncode == 1
    return str(info.value)


def test_archiving_moves_the_old_entries_into_a_signed_file_and_the_chain_still_verifies(chain, tmp_path, capsys):
    old, middle, new = chain
    # when the entries before 2021 are archived
    call_command("audit_archive", "--before", "2021-01-01")
    archive = AuditArchive.objects.get()
    # then they left the table into the file, and the output says where
    assert capsys.readouterr().out.strip() == (
        f"Archived 4 entries (#{old[0].pk}–#{old[-1].pk}) into {tmp_path / 'archives' / archive.file_name}, "
        f"signed by key {signing.public_key_id()}."
    )
    assert list(AuditEntry.objects.values_list("id", flat=True)) == [e.pk for e in middle + new]
    lines = [json.loads(x) for x in (tmp_path / "archives" / archive.file_name).read_text().splitlines()]
    assert [x["id"] for x in lines] == [e.pk for e in old]
    # and the whole chain, archive then table, verifies against every checkpoint (one more made by the archiving)
    call_command("verify_audit_trail")
    assert capsys.readouterr().out.strip() == "OK: 9 entries verified, 3 signed checkpoints hold"


def test_a_second_archive_continues_the_first_and_new_checkpoints_count_across_the_cut(chain, capsys):
    call_command("audit_archive", "--before", "2021-01-01")
    call_command("audit_archive", "--before", "2023-01-01")
    first, second = AuditArchive.objects.order_by("first_entry")
    assert second.first_prev_hash == first.last_hash
    assert (second.start_count, second.entry_count) == (4, 3)
    checkpoint = checkpoint_create(ship=False)
    assert checkpoint.entry_count == 9
    capsys.readouterr()
    call_command("verify_audit_trail")
    assert capsys.readouterr().out.strip() == "OK: 9 entries verified, 5 signed checkpoints hold"


def test_an_edited_archive_file_is_named(chain, tmp_path):
    call_command("audit_archive", "--before", "2021-01-01")
    path = tmp_path / "archives" / AuditArchive.objects.get().file_name
    path.write_text(path.read_text().replace("DEP-00002", "DEP-FORGED"))
    assert "does not match its signed SHA-256" in _fails()


def test_a_deleted_archive_file_is_named(chain, tmp_path):
    old, _, _ = chain
    call_command("audit_archive", "--before", "2021-01-01")
    (tmp_path / "archives" / AuditArchive.objects.get().file_name).unlink()
    message = _fails()
    assert f"breaks at entry #{old[0].pk}: the archive file" in message
    assert "is missing" in message


def test_an_archive_record_removed_from_the_database_breaks_the_link(chain):
    _, middle, _ = chain
    call_command("audit_archive", "--before", "2021-01-01")
    AuditArchive.objects.all().delete()
    message = _fails()
    assert f"breaks at entry #{middle[0].pk}" in message
    assert "its link to the previous entry does not match" in message


def test_the_table_rewritten_after_the_cut_is_named_by_its_checkpoint(chain):
    _, middle, _ = chain
    call_command("audit_archive", "--before", "2021-01-01")
    rewrite_chain_from(middle[1].pk, object_repr="DEP-REWRITTEN")
    second = AuditCheckpoint.objects.order_by("id")[1]
    message = _fails()
    assert f"breaks at entry #{middle[-1].pk}" in message
    assert f"its hash is not the one checkpoint #{second.pk} signed" in message


def test_bad_dates_are_refused_and_nothing_moves(chain):
    for bad, message in [
        ("2021-13-01", "--before must be a date as YYYY-MM-DD, not '2021-13-01'."),
        ("2999-01-01", "--before must not be in the future: the chain's newest entries stay in the table."),
    ]:
        with pytest.raises(CommandError) as info:
            call_command("audit_archive", "--before", bad)
        assert str(info.value) == message
    assert AuditEntry.objects.count() == 9
    assert not AuditArchive.objects.exists()


def test_nothing_old_enough_archives_nothing(chain, capsys):
    call_command("audit_archive", "--before", "2019-01-01")
    assert capsys.readouterr().out.strip() == "Nothing to archive: no entry was written before 2019-01-01."
    assert not AuditArchive.objects.exists()


def test_entries_the_stream_has_not_delivered_stay_in_the_table(chain, settings, capsys):
    # given a stream whose collector has received only the first two of the old entries
    old, _middle, _new = chain
    settings.AUDIT_STREAM = "https://user:secret@collector.example/audit"
    AuditStreamCursor.objects.create(destination="https://collector.example/audit", last_entry=old[1].pk)
    # when the old entries are archived, then it is refused naming the first entry not delivered, and nothing moves
    with pytest.raises(CommandError) as info:
        call_command("audit_archive", "--before", "2021-01-01")
    assert str(info.value).startswith(
        f"Nothing archived: entry #{old[2].pk} onwards has not reached the audit stream's collector "
        "(https://collector.example/audit) yet"
    )
    assert (AuditEntry.objects.count(), AuditArchive.objects.exists()) == (9, False)
    # when the collector has caught up, then they are archived
    AuditStreamCursor.objects.update(last_entry=old[-1].pk)
    call_command("audit_archive", "--before", "2021-01-01")
    assert AuditArchive.objects.get().last_entry == old[-1].pk
