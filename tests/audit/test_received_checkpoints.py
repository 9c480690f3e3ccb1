"""Checkpoints received off the server, checked against the chain: whoever holds the database can rewrite or cut the
chain and delete the checkpoint rows too (then the table's checkpoints prove nothing), but not the copies the syslog,
the collector and the auditors' mailboxes received. `verify_audit_trail --checkpoints FILE` on the server, and the
audit pack's own `verify_pack.py --checkpoints FILE` offline, name the entry a received checkpoint no longer agrees
with."""

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.audit.offline.verify_pack import received_checkpoints
from apps.audit.shipping import syslog_message
from tests.factories.accounts import token_for
from tests.factories.audit import append_entries, rewrite_chain_from


def _received_file(tmp_path, checkpoints, form: str = "syslog"):
    """The checkpoints as a destination received them: RFC 5424 syslog lines, the collector's JSON bodies one a line,
    or an e-mail saved as text."""
    if form == "syslog":
        text = "".join(syslog_message(c).decode() + "\n" for c in checkpoints)
    elif form == "json":
        text = "".join(json.dumps(c.signed_dict()) + "\n" for c in checkpoints)
    else:
        text = "".join(
            f"Checkpoint #{c.pk} at {c.at.isoformat()}\nHead hash: {c.head_hash}\n\n"
            f"{json.dumps(c.signed_dict(), sort_keys=True)}\n"
            for c in checkpoints
        )
    path = tmp_path / f"received-{form}.log"
    path.write_text(text)
    return path


def _verify_command(*files) -> str:
    args = [arg for f in files for arg in ("--checkpoints", str(f))]
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_trail", *args)
    assert info.value.returncode == 1
    return str(info.value)


# --- reading what was received -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["syslog", "json", "email"])
def test_received_checkpoints_are_read_from_each_destinations_form(tmp_path, form):
    append_entries(2)
    checkpoints = [checkpoint_create(ship=False), checkpoint_create(ship=False)]
    found = received_checkpoints(_received_file(tmp_path, checkpoints, form).read_text())
    assert [{k: v for k, v in c.items() if k != "received"} for c in found] == [c.signed_dict() for c in checkpoints]
    assert all(c["received"] for c in found)


def test_a_pack_checkpoints_json_is_read_and_text_without_a_checkpoint_gives_none():
    cp = {"id": 1, "at": "2026-01-01T00:00:00+00:00", "last_entry": 3, "entry_count": 3, "head_hash": "a" * 64}
    assert received_checkpoints(json.dumps([{**cp, "signature": "00", "key_id": "k"}]))[0]["last_entry"] == 3
    assert received_checkpoints("no checkpoint here\n{not json}\n" + json.dumps(cp)) == []  # no signature: not one


# --- on the server: verify_audit_trail --checkpoints -------------------------------------------------------------


@pytest.mark.django_db
def test_the_chain_holds_against_the_received_checkpoints(tmp_path, capsys):
    append_entries(4)
    first = checkpoint_create(ship=False)
    append_entries(2, start=4)
    second = checkpoint_create(ship=False)
    call_command("verify_audit_trail", "--checkpoints", str(_received_file(tmp_path, [first, second])))
    out = capsys.readouterr().out.strip()
    assert out == "OK: 6 entries verified, 2 signed checkpoints hold, 2 received checkpoints hold"


@pytest.mark.django_db
def test_a_rewritten_chain_whose_checkpoints_were_deleted_is_named_by_the_received_copy(tmp_path, capsys):
    # given a checkpoint received off the server on the fifth entry
    entries = append_entries(5)
    received = _received_file(tmp_path, [checkpoint_create(ship=False)], "json")
    checkpoint = AuditCheckpoint.objects.get()
    # when the third entry is edited, every hash after it recomputed, and the table's checkpoints deleted
    rewrite_chain_from(entries[2].pk, object_repr="DEP-REWRITTEN")
    AuditCheckpoint.objects.all().delete()
    # then the database alone still verifies (nothing in it disagrees) ...
    call_command("verify_audit_trail")
    assert capsys.readouterr().out.startswith("OK: 5 entries verified")
    # ... but against the received checkpoint the signed entry is named
    message = _verify_command(received)
    assert f"breaks at entry #{entries[4].pk} at " in message
    assert (
        f"its hash is not the one checkpoint #{checkpoint.pk} (as received) signed: the chain was rewritten" in message
    )


@pytest.mark.django_db
def test_a_cut_tail_whose_checkpoints_were_deleted_is_named_by_the_received_copy(tmp_path):
    # given a checkpoint received on the fifth entry, then the last two entries and every checkpoint row deleted
    entries = append_entries(5)
    received = _received_file(tmp_path, [checkpoint_create(ship=False)])
    checkpoint = AuditCheckpoint.objects.get()
    AuditEntry.objects.filter(pk__gt=entries[2].pk).delete()
    AuditCheckpoint.objects.all().delete()
    # when verified against what was received, then the missing signed entry is named
    assert _verify_command(received) == (
        f"BROKEN: the audit chain breaks at entry #{entries[4].pk}: it is missing, though checkpoint "
        f"#{checkpoint.pk} (as received) signed it: the chain was truncated (it now ends at entry #{entries[2].pk})."
    )


@pytest.mark.django_db
def test_a_received_checkpoint_edited_or_not_a_checkpoint_is_refused(tmp_path):
    append_entries(2)
    data = checkpoint_create(ship=False).signed_dict()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**data, "entry_count": data["entry_count"] + 1}))
    assert "(as received)'s signature is not valid" in _verify_command(forged)
    empty = tmp_path / "empty.log"
    empty.write_text("nothing\n")
    with pytest.raises(CommandError, match="holds no checkpoint") as info:
        call_command("verify_audit_trail", "--checkpoints", str(empty))
    assert info.value.returncode == 2


@pytest.mark.django_db
def test_a_received_checkpoint_on_an_archived_entry_is_checked_in_the_archive(tmp_path, settings, capsys):
    # given a checkpoint received on the last of three old entries, two newer entries, and the table's checkpoints gone
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "archives")
    append_entries(3, at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    received = _received_file(tmp_path, [checkpoint_create(ship=False)])
    append_entries(2, start=3)
    AuditCheckpoint.objects.all().delete()
    # when the old entries are archived
    call_command("audit_archive", "--before", "2021-01-01")
    # then the received checkpoint is checked against the archive and holds
    call_command("verify_audit_trail", "--checkpoints", str(received))
    assert capsys.readouterr().out.strip().endswith("1 signed checkpoints hold, 1 received checkpoints hold")


# --- offline: the pack's verify_pack.py --checkpoints ------------------------------------------------------------


def _export(live_server, user, tmp_path):
    request = urllib.request.Request(
        f"{live_server.url}/exports/audit-pack.zip", headers={"Authorization": f"Token {token_for(user)}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        path = tmp_path / "deploydesk-audit-pack.zip"
        path.write_bytes(response.read())
    auditor = tmp_path / "auditor"
    auditor.mkdir(exist_ok=True)
    with zipfile.ZipFile(path) as archive:
        (auditor / "verify_pack.py").write_bytes(archive.read("verify_pack.py"))
    return path


def _verify_offline(pack, *args) -> subprocess.CompletedProcess:
    script = pack.parent / "auditor" / "verify_pack.py"
    return subprocess.run(
        [sys.executable, "-I", str(script), str(pack), *args],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_offline_an_intact_pack_agrees_with_the_received_checkpoints(live_server, world, tmp_path):
    received = _received_file(tmp_path, [checkpoint_create(ship=False)])
    pack = _export(live_server, world.users["auditor"], tmp_path)
    done = _verify_offline(pack, "--checkpoints", str(received))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  1 received checkpoints checked (0 outside this pack's chain)" in done.stdout.splitlines()


@pytest.mark.django_db(transaction=True)
def test_offline_a_pack_of_a_rewritten_chain_with_its_checkpoints_deleted_fails_on_the_received_one(
    live_server, world, tmp_path
):
    # given a checkpoint the auditor received, then the server's chain rewritten and its checkpoint rows deleted
    received = _received_file(tmp_path, [checkpoint_create(ship=False)], "email")
    checkpoint = AuditCheckpoint.objects.get()
    victim = AuditEntry.objects.filter(pk__lt=checkpoint.last_entry).order_by("-id")[2]
    rewrite_chain_from(victim.pk, object_repr="Rewritten")
    AuditCheckpoint.objects.all().delete()
    # when the server exports a pack (it signs the rewritten head afresh, so the pack verifies on its own)
    pack = _export(live_server, world.users["auditor"], tmp_path)
    assert _verify_offline(pack).returncode == 0
    # then checked against the received checkpoint it fails, naming the signed entry
    done = _verify_offline(pack, "--checkpoints", str(received))
    assert done.returncode == 1
    assert (
        f"FAILED: entry #{checkpoint.last_entry}: its hash is not the one checkpoint #{checkpoint.pk} (as received) "
        "signed: the chain was rewritten"
    ) in done.stdout


@pytest.mark.django_db(transaction=True)
def test_offline_a_pack_of_a_cut_chain_with_its_checkpoints_deleted_fails_on_the_received_one(
    live_server, world, tmp_path
):
    # given a checkpoint the auditor received, then the chain's tail and the checkpoint rows deleted on the server
    received = _received_file(tmp_path, [checkpoint_create(ship=False)], "json")
    checkpoint = AuditCheckpoint.objects.get()
    cut = AuditEntry.objects.order_by("-id").values_list("id", flat=True)[3]
    AuditEntry.objects.filter(pk__gt=cut).delete()
    AuditCheckpoint.objects.all().delete()
    time.sleep(1.1)  # checkpoints carry whole seconds: the pack's is signed in a later second than the received one
    # when the server exports a pack, then checked against the received checkpoint it fails naming the signed entry
    pack = _export(live_server, world.users["auditor"], tmp_path)
    assert _verify_offline(pack).returncode == 0
    done = _verify_offline(pack, "--checkpoints", str(received))
    assert done.returncode == 1
    assert f"FAILED: entry #{checkpoint.last_entry}: checkpoint #{checkpoint.pk} (as received) signed it" in done.stdout
