"""The offline verifier: an audit pack exported from a live server, checked by the pack's own verify_pack.py run as a
separate process (as the auditor runs it on their machine): intact passes, each edit after export fails naming the
entry."""

import hashlib
import io
import json
import subprocess
import sys
import urllib.request
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from apps.audit.chain import GENESIS, entry_hash
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.audit.offline import verify_pack as offline
from tests.factories.accounts import token_for


@pytest.fixture
def exported(live_server, world, tmp_path):
    """An auditor's audit pack of everything, downloaded from the live server with their token; and the verifier
    taken out of the pack into a directory of its own."""
    request = urllib.request.Request(
        f"{live_server.url}/exports/audit-pack.zip",
        headers={"Authorization": f"Token {token_for(world.users['auditor'])}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        data = response.read()
    path = tmp_path / "deploydesk-audit-pack.zip"
    path.write_bytes(data)
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    with zipfile.ZipFile(path) as archive:
        (auditor / "verify_pack.py").write_bytes(archive.read("verify_pack.py"))
    return path


def _verify(pack, *args) -> subprocess.CompletedProcess:
    """Run the pack's own verifier in isolated mode (no project on the path), from the auditor's directory."""
    script = pack.parent / "auditor" / "verify_pack.py"
    return subprocess.run(
        [sys.executable, "-I", str(script), str(pack), *args],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rewrite(pack, edits: dict[str, bytes], *, fix_manifest: bool = True):
    """The pack with some members replaced (an edit after export); with `fix_manifest`, the manifest's SHA-256s are
    recomputed too, as a careful forger would."""
    with zipfile.ZipFile(pack) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(edits)
    if fix_manifest:
        names = [line.split("  ")[1] for line in members["MANIFEST.sha256"].decode().splitlines()]
        members["MANIFEST.sha256"] = "".join(f"{hashlib.sha256(members[n]).hexdigest()}  {n}\n" for n in names).encode()
    out = pack.parent / "edited.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def _chain(pack) -> list[dict]:
    with zipfile.ZipFile(pack) as archive:
        return [json.loads(line) for line in archive.read("audit-chain.jsonl").decode().splitlines()]


def _jsonl(entries) -> bytes:
    return "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in entries).encode()


def _csv(pack) -> str:
    with zipfile.ZipFile(pack) as archive:
        return archive.read("audit-trail.csv").decode()


@pytest.mark.django_db(transaction=True)
def test_an_intact_pack_from_a_live_server_verifies_offline(exported):
    # given the one checkpoint the export signed for the pack (every audit pack signs the head)
    assert AuditCheckpoint.objects.get().reason == "audit-pack"
    # when the auditor runs the pack's verifier on the pack
    done = _verify(exported, "--key-id", AuditCheckpoint.objects.get().key_id)
    # then it passes, having checked every entry of the chain against the checkpoint signed for the pack
    assert done.returncode == 0, done.stdout + done.stderr
    count = AuditEntry.objects.count()
    assert done.stdout.splitlines() == [
        f"  signing key {AuditCheckpoint.objects.get().key_id}",
        "  1 signed checkpoints",
        f"  {count} chain entries ({count} in full)",
        "OK: the audit pack verifies",
    ]
    with zipfile.ZipFile(exported) as archive:
        manifest = archive.read("MANIFEST.sha256").decode()
    for name in ("audit-chain.jsonl", "checkpoints.json", "audit-signing-key.pub.pem", "verify_pack.py"):
        assert f"  {name}\n" in manifest


@pytest.mark.django_db(transaction=True)
def test_an_edited_csv_row_fails_naming_the_entry(exported):
    # given the pack with one audit-trail.csv row's object changed and the manifest's hashes recomputed
    victim = AuditEntry.objects.order_by("id")[3]
    text = _csv(exported)
    row_start = text.index(f"\n{victim.pk},") + 1
    row_end = text.index("\n", row_start)
    row = text[row_start:row_end].replace(victim.object_repr, "Forged record", 1)
    edited = _rewrite(exported, {"audit-trail.csv": (text[:row_start] + row + text[row_end:]).encode()})
    # when verified
    done = _verify(edited)
    # then it fails: the manifest's signature, and the entry whose row differs
    assert done.returncode == 1
    assert "FAILED: the manifest's signature is not valid: the pack was changed after export" in done.stdout
    assert f"FAILED: entry #{victim.pk}: its row in audit-trail.csv differs from the signed chain (object_repr)" in (
        done.stdout
    )


@pytest.mark.django_db(transaction=True)
def test_an_edited_chain_entry_fails_naming_it(exported):
    # given the pack with one chain entry's content changed (hash left as it was)
    entries = _chain(exported)
    victim = entries[5]
    victim["fields"]["object_repr"] = "Forged"
    edited = _rewrite(exported, {"audit-chain.jsonl": _jsonl(entries)}, fix_manifest=False)
    # when verified, then it names that entry (and the manifest mismatch)
    done = _verify(edited)
    assert done.returncode == 1
    assert f"FAILED: entry #{victim['id']}: its content does not match its hash" in done.stdout
    assert "FAILED: audit-chain.jsonl does not match its SHA-256 in the manifest" in done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_pack_chain_rewritten_with_recomputed_hashes_fails_at_the_signed_checkpoint(exported):
    # given the pack's chain edited at one entry and every hash after it recomputed, CSV and manifest made to match
    entries = _chain(exported)
    start = 4
    entries[start]["fields"]["object_repr"] = "Forged"
    prev = entries[start - 1]["hash"] if start else GENESIS
    for entry in entries[start:]:
        entry["prev_hash"] = prev
        entry["hash"] = prev = offline.entry_hash(prev, entry["fields"])
    assert entries[start]["hash"] != entry_hash(
        entries[start - 1]["hash"], AuditEntry.objects.get(pk=entries[start]["id"])
    )
    edited = _rewrite(exported, {"audit-chain.jsonl": _jsonl(entries)})
    # when verified
    done = _verify(edited)
    # then the checkpoint's entry no longer has the signed hash
    checkpoint = AuditCheckpoint.objects.get()
    assert done.returncode == 1
    assert (
        f"FAILED: entry #{checkpoint.last_entry}: its hash is not the one checkpoint #{checkpoint.pk} signed: "
        "the chain was rewritten"
    ) in done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_pack_with_its_tail_cut_fails_naming_the_new_last_entry(exported):
    # given the pack's chain without its last three entries (manifest recomputed)
    entries = _chain(exported)[:-3]
    edited = _rewrite(exported, {"audit-chain.jsonl": _jsonl(entries)})
    # when verified, then the new end is named as not reaching a signed checkpoint
    done = _verify(edited)
    assert done.returncode == 1
    assert (
        f"FAILED: entry #{entries[-1]['id']}: the chain does not end at a signed checkpoint (it was cut or extended)"
    ) in done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_pack_re_signed_with_another_key_fails_against_the_expected_key_id(exported):
    # given a forger who rewrote an entry and re-signed the checkpoints and the manifest with a key of their own
    forger = Ed25519PrivateKey.generate()
    forger_id = offline.key_fingerprint(forger.public_key())
    entries = _chain(exported)
    entries[-1]["fields"]["object_repr"] = "Forged"
    entries[-1]["hash"] = offline.entry_hash(entries[-1]["prev_hash"], entries[-1]["fields"])
    checkpoint = AuditCheckpoint.objects.get().signed_dict()
    checkpoint.update(head_hash=entries[-1]["hash"], key_id=forger_id)
    message = offline.checkpoint_message(
        at=checkpoint["at"],
        last_entry=checkpoint["last_entry"],
        entry_count=checkpoint["entry_count"],
        head_hash=checkpoint["head_hash"],
    )
    checkpoint["signature"] = forger.sign(message).hex()
    text = _csv(exported)
    original = AuditEntry.objects.get(pk=entries[-1]["id"])
    edits = {
        "audit-chain.jsonl": _jsonl(entries),
        "checkpoints.json": json.dumps([checkpoint]).encode(),
        "audit-signing-key.pub.pem": forger.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "audit-trail.csv": text.replace(f"{original.object_repr},", "Forged,").encode()
        if f"{original.object_repr}," in text
        else text.encode(),
    }
    edited = _rewrite(exported, edits)
    with zipfile.ZipFile(edited) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = members["MANIFEST.sha256"]
    members["MANIFEST.sha256.sig"] = json.dumps(
        {"key_id": forger_id, "signature": forger.sign(offline.manifest_message(manifest)).hex()}
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    edited.write_bytes(buffer.getvalue())
    # when verified with the key id the auditor received from the server's shipped checkpoints
    done = _verify(edited, "--key-id", AuditCheckpoint.objects.get().key_id)
    # then the forged key is refused; without the expected id the verifier shows the key it used
    assert done.returncode == 1
    assert f"FAILED: the pack's public key is {forger_id}, not the expected {AuditCheckpoint.objects.get().key_id}" in (
        done.stdout
    )
    assert f"signing key {forger_id}" in _verify(edited).stdout
