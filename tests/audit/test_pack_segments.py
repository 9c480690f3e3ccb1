"""The audit pack's chain segment: a period's pack and a service owner's pack (other services' entries by their hashes
only) still verify offline up to a signed checkpoint; the pack's audit trail stops at the checkpoint made for it."""

import datetime as dt
import io
import json
import zipfile

import pytest

from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditEntry
from apps.audit.offline.verify_pack import verify_pack
from tests.factories.audit import append_entries
from tests.reports.helpers import client_for


def _pack(client, tmp_path, query=""):
    response = client.get(f"/exports/audit-pack.zip{query}")
    assert response.status_code == 200
    path = tmp_path / "pack.zip"
    path.write_bytes(b"".join(response.streaming_content))
    with zipfile.ZipFile(path) as archive:
        chain = [json.loads(line) for line in archive.read("audit-chain.jsonl").decode().splitlines()]
        checkpoints = json.loads(archive.read("checkpoints.json"))
    return path, chain, checkpoints


def test_a_service_owners_pack_shows_other_services_entries_by_hash_only_and_verifies(world, tmp_path):
    # given entries of another service between the world's ones
    append_entries(3, service_id=world.other_service.pk)
    append_entries(2, service_id=world.service.pk, start=10)
    owner = world.users["service_owner"]
    # when the owner of the world's service exports a pack
    path, chain, _ = _pack(client_for(owner), tmp_path)
    # then the other service's entries are there by their hashes only, and the pack verifies
    mine = set(AuditEntry.objects.filter(service_id=world.service.pk).values_list("id", flat=True))
    assert {e["id"] for e in chain if "fields" in e} == mine
    hidden = [e for e in chain if "fields" not in e]
    assert hidden and all(set(e) == {"id", "prev_hash", "hash"} for e in hidden)
    assert verify_pack(str(path))[0] == []


def test_a_period_pack_reaches_the_first_checkpoint_after_it_not_the_head(world, tmp_path):
    # given a checkpoint after the world, three entries in January 2030 and a checkpoint, then four entries in 2031
    checkpoint_create(ship=False)
    period = append_entries(3, start=100, at=dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC))
    after_period = checkpoint_create(ship=False)
    later = append_entries(4, start=200, at=dt.datetime(2031, 1, 1, 10, tzinfo=dt.UTC))
    # when an auditor exports the pack of 1 January 2030
    path, chain, checkpoints = _pack(client_for(world.users["auditor"]), tmp_path, "?from=2030-01-01&to=2030-01-02")
    # then its chain holds the period's entries in full and ends at the checkpoint just after them
    assert [(e["id"], "fields" in e) for e in chain] == [(e.pk, True) for e in period]
    assert [c["id"] for c in checkpoints] == [after_period.pk]
    assert later[0].pk > chain[-1]["id"]
    assert verify_pack(str(path))[0] == []


def test_an_empty_period_gives_a_pack_that_verifies(world, tmp_path):
    path, chain, checkpoints = _pack(client_for(world.users["auditor"]), tmp_path, "?from=2000-01-01&to=2000-01-02")
    assert chain == []
    assert len(checkpoints) == 1
    assert verify_pack(str(path))[0] == []


@pytest.mark.parametrize("member", ["MANIFEST.sha256.sig", "audit-chain.jsonl", "audit-signing-key.pub.pem"])
def test_a_pack_without_a_trust_file_fails(world, tmp_path, member):
    path, _, _ = _pack(client_for(world.users["auditor"]), tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if n != member}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    assert verify_pack(str(path))[0] == [f"the pack has no {member}"]


def test_a_csv_row_removed_after_export_is_named(world, tmp_path):
    # given an auditor's pack with one audit-trail.csv row taken out
    path, chain, _ = _pack(client_for(world.users["auditor"]), tmp_path)
    victim = chain[2]["id"]
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    lines = members["audit-trail.csv"].decode().splitlines(keepends=True)
    members["audit-trail.csv"] = "".join(x for x in lines if not x.startswith(f"{victim},")).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    # when verified, then the entry whose row is gone is named
    problems = verify_pack(str(path))[0]
    assert f"entry #{victim}: it is in the signed chain but its row is not in audit-trail.csv" in problems
    assert "audit-trail.csv does not match its SHA-256 in the manifest" in problems
