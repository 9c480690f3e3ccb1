#!/usr/bin/env python3
"""Verify a Deploydesk audit pack offline, without access to the server that made it.

    python verify_pack.py deploydesk-audit-pack.zip [--key-id FINGERPRINT]

Needs Python 3.11+ and the `cryptography` package, nothing else. It checks, in the ZIP:

1. the manifest's Ed25519 signature and every file's SHA-256 against the manifest;
2. every checkpoint's Ed25519 signature (the key is the pack's public key; pass --key-id with the fingerprint you
   received from the server's checkpoints by syslog or e-mail, so a pack re-signed with another key fails);
3. the hash chain in audit-chain.jsonl, entry by entry, recomputing each SHA-256, up to a signed checkpoint;
4. every row of audit-trail.csv against the signed chain.

Exit 0 when everything holds; otherwise 1, naming the first entry that disagrees.

The same functions define the signed formats on the server (apps.audit.signing imports them), so the server and
this script cannot drift apart.
"""

import argparse
import csv
import hashlib
import io
import json
import sys
import zipfile

GENESIS = "0" * 64
CHECKPOINT_PREFIX = b"deploydesk-audit-checkpoint-v1\n"
MANIFEST_PREFIX = b"deploydesk-audit-pack-manifest-v1\n"
CHAIN_FILE = "audit-chain.jsonl"
CHECKPOINTS_FILE = "checkpoints.json"
PUBLIC_KEY_FILE = "audit-signing-key.pub.pem"
MANIFEST_FILE = "MANIFEST.sha256"
MANIFEST_SIGNATURE_FILE = "MANIFEST.sha256.sig"
AUDIT_CSV = "audit-trail.csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, fields: dict) -> str:
    """The SHA-256 of an entry: the previous entry's hash followed by the canonical JSON of its fields."""
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode()).hexdigest()


def checkpoint_message(*, at: str, last_entry, entry_count: int, head_hash: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    body = {"at": at, "entry_count": entry_count, "head_hash": head_hash, "last_entry": last_entry}
    return CHECKPOINT_PREFIX + canonical_json(body).encode()


def manifest_message(manifest: bytes) -> bytes:
    return MANIFEST_PREFIX + manifest


def key_fingerprint(public_key) -> str:
    """The key id: SHA-256 of the raw 32-byte Ed25519 public key, hex."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def signature_valid(public_key, signature_hex: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _cell(value) -> str:
    """A value as the pack's CSV writes it (empty for none, a quote before a formula-like text)."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_row(entry: dict) -> dict:
    f = entry["fields"]
    changes = json.dumps(f["changes"], sort_keys=True, ensure_ascii=False)
    values = {
        "id": entry["id"],
        "at": f["at"],
        "actor": f["actor_name"],
        "channel": f["channel"],
        "action": f["action"],
        "object_type": f["object_type"],
        "object_id": f["object_id"],
        "object_repr": f["object_repr"],
        "changes": changes,
        "service_id": f["service_id"],
        "hash": entry["hash"],
        "prev_hash": entry["prev_hash"],
    }
    return {k: _cell(v) for k, v in values.items()}


class PackError(Exception):
    pass


def verify_chain(entries: list[dict], checkpoints: list[dict]) -> list[str]:
    """Problems of a run of chain entries (full or hash-only) against signed checkpoints; empty when it holds."""
    problems: list[str] = []
    prev = None
    position = {}
    last_id = None
    for index, entry in enumerate(entries):
        entry_id = entry["id"]
        if last_id is not None and entry_id <= last_id:
            return [f"entry #{entry_id}: out of order after entry #{last_id}"]
        if prev is not None and entry["prev_hash"] != prev:
            return [f"entry #{entry_id}: its link to the previous entry does not match"]
        if "fields" in entry and entry_hash(entry["prev_hash"], entry["fields"]) != entry["hash"]:
            return [f"entry #{entry_id}: its content does not match its hash"]
        prev = entry["hash"]
        position[entry_id] = (index, entry["hash"])
        last_id = entry_id
    if not entries:
        return problems
    covered = [c for c in checkpoints if c["last_entry"] in position]
    if not any(c["last_entry"] == last_id for c in covered):
        return [f"entry #{last_id}: the chain does not end at a signed checkpoint (it was cut or extended)"]
    confirmed = None
    for cp in sorted(covered, key=lambda c: c["last_entry"]):
        index, hash_ = position[cp["last_entry"]]
        if hash_ != cp["head_hash"]:
            after = f" after entry #{confirmed}, the last one a checkpoint confirms" if confirmed else ""
            return [
                f"entry #{cp['last_entry']}: its hash is not the one checkpoint #{cp['id']} signed: "
                f"the chain was rewritten{after}"
            ]
        confirmed = cp["last_entry"]
    anchor = max(covered, key=lambda c: c["last_entry"])
    first_count = anchor["entry_count"] - position[anchor["last_entry"]][0]
    for cp in covered:
        if first_count + position[cp["last_entry"]][0] != cp["entry_count"]:
            return [f"entry #{cp['last_entry']}: checkpoint #{cp['id']} counted {cp['entry_count']} entries up to it"]
    return problems


def verify_pack(path: str, *, key_id: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) of the pack at `path`; no problems means it verifies."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    problems: list[str] = []
    notes: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"cannot open the pack: {exc}"], notes
    with archive:
        names = set(archive.namelist())
        for required in (PUBLIC_KEY_FILE, MANIFEST_FILE, MANIFEST_SIGNATURE_FILE, CHECKPOINTS_FILE, CHAIN_FILE):
            if required not in names:
                return [f"the pack has no {required}"], notes
        public_key = load_pem_public_key(archive.read(PUBLIC_KEY_FILE))
        fingerprint = key_fingerprint(public_key)
        notes.append(f"signing key {fingerprint}")
        if key_id and key_id.lower() != fingerprint:
            return [f"the pack's public key is {fingerprint}, not the expected {key_id}"], notes

        manifest = archive.read(MANIFEST_FILE)
        signed = json.loads(archive.read(MANIFEST_SIGNATURE_FILE))
        if signed.get("key_id") != fingerprint or not signature_valid(
            public_key, signed.get("signature", ""), manifest_message(manifest)
        ):
            problems.append("the manifest's signature is not valid: the pack was changed after export")
        listed = {}
        for line in manifest.decode().splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        for name in sorted(names - {MANIFEST_FILE, MANIFEST_SIGNATURE_FILE}):
            if name not in listed:
                problems.append(f"{name} is not in the manifest")
            elif hashlib.sha256(archive.read(name)).hexdigest() != listed[name]:
                problems.append(f"{name} does not match its SHA-256 in the manifest")
        for name in sorted(set(listed) - names):
            problems.append(f"{name} is in the manifest but not in the pack")

        checkpoints = json.loads(archive.read(CHECKPOINTS_FILE))
        for cp in checkpoints:
            message = checkpoint_message(
                at=cp["at"], last_entry=cp["last_entry"], entry_count=cp["entry_count"], head_hash=cp["head_hash"]
            )
            if cp.get("key_id") != fingerprint or not signature_valid(public_key, cp["signature"], message):
                problems.append(f"entry #{cp['last_entry']}: checkpoint #{cp['id']}'s signature is not valid")
        notes.append(f"{len(checkpoints)} signed checkpoints")

        entries = [json.loads(line) for line in archive.read(CHAIN_FILE).decode().splitlines() if line.strip()]
        problems.extend(verify_chain(entries, checkpoints))
        notes.append(f"{len(entries)} chain entries ({sum('fields' in e for e in entries)} in full)")

        if AUDIT_CSV in names:
            full = {e["id"]: e for e in entries if "fields" in e}
            reader = csv.DictReader(io.StringIO(archive.read(AUDIT_CSV).decode()))
            seen = set()
            for row in reader:
                try:
                    entry = full.get(int(row.get("id") or 0))
                except ValueError:
                    entry = None
                if entry is None:
                    problems.append(f"entry #{row.get('id')}: its row in {AUDIT_CSV} is not in the signed chain")
                    break
                expected = _csv_row(entry)
                differ = [k for k, v in expected.items() if row.get(k) != v]
                if differ:
                    problems.append(
                        f"entry #{entry['id']}: its row in {AUDIT_CSV} differs from the signed chain "
                        f"({', '.join(differ)})"
                    )
                    break
                seen.add(entry["id"])
            else:
                missing = sorted(set(full) - seen)
                if missing:
                    problems.append(f"entry #{missing[0]}: it is in the signed chain but its row is not in {AUDIT_CSV}")
    return problems, notes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Deploydesk audit pack offline.")
    parser.add_argument("pack", help="the audit pack ZIP")
    parser.add_argument("--key-id", help="the signing key fingerprint you expect (from the shipped checkpoints)")
    args = parser.parse_args(argv)
    problems, notes = verify_pack(args.pack, key_id=args.key_id)
    for note in notes:
        print(f"  {note}")
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1
    print("OK: the audit pack verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
