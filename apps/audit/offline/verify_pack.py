#!/usr/bin/env python3
"""Verify a Deploydesk audit pack offline, without access to the server that made it.

    python verify_pack.py deploydesk-audit-pack.zip [--key-id FINGERPRINT] [--checkpoints RECEIVED ...]

Needs Python 3.11+ and the `cryptography` package, nothing else. It checks, in the ZIP:

1. the manifest's Ed25519 signature and every file's SHA-256 against the manifest;
2. every checkpoint's Ed25519 signature (the key is the pack's public key; pass --key-id with the fingerprint you
   received from the server's checkpoints by syslog or e-mail, so a pack re-signed with another key fails);
3. the hash chain in audit-chain.jsonl, entry by entry, recomputing each SHA-256, up to a signed checkpoint;
4. every row of audit-trail.csv against the signed chain;
5. with --checkpoints, the checkpoints you received off the server (the syslog's lines, the collector's JSON, the
   e-mails saved as text, or an earlier pack's checkpoints.json): each one whose entry lies in the pack's chain must
   still match it, and none signed before the pack's last checkpoint may lie beyond the pack's chain. A server whose
   chain was rewritten or cut, and whose checkpoints were deleted to hide it, fails here.

Exit 0 when everything holds; otherwise 1, naming the first entry that disagrees.

The same functions define the signed formats on the server (apps.audit.signing imports them), so the server and
this script cannot drift apart.
"""

import argparse
import csv
import datetime as dt
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


def _cp_name(cp: dict) -> str:
    return f"checkpoint #{cp.get('id', '?')}" + (" (as received)" if cp.get("received") else "")


CHECKPOINT_KEYS = ("at", "last_entry", "entry_count", "head_hash", "signature")


def received_checkpoints(text: str) -> list[dict]:
    """The checkpoints in a file of what was received off the server: a JSON array or object, or lines each holding
    one checkpoint's JSON (an HTTPS endpoint's log, RFC 5424 syslog lines, the e-mails saved as text)."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        whole = [whole]
    if isinstance(whole, list):
        found = whole
    else:
        found = []
        decoder = json.JSONDecoder()
        for line in text.splitlines():
            start = line.find("{")
            if start < 0:
                continue
            try:
                found.append(decoder.raw_decode(line[start:])[0])
            except ValueError:
                continue
    return [{**c, "received": True} for c in found if _is_checkpoint(c)]


def _parse_at(value) -> dt.datetime | None:
    """A checkpoint's time (aware), or None when it is not one."""
    try:
        at = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _is_checkpoint(value) -> bool:
    if not isinstance(value, dict) or not all(k in value for k in CHECKPOINT_KEYS):
        return False
    whole = (int, type(None))
    return (
        _parse_at(value["at"]) is not None
        and isinstance(value["last_entry"], whole)
        and isinstance(value["entry_count"], int)
        and isinstance(value["head_hash"], str)
        and isinstance(value["signature"], str)
    )


def verify_received(entries: list[dict], checkpoints: list[dict], received: list[dict], public_key, fingerprint):
    """(problems, notes, the received checkpoints to check against the chain with the pack's): each received one must
    be signed by the pack's key; one signed before the pack's last checkpoint must not lie beyond the pack's chain, nor
    in its range yet missing from it."""
    problems, usable, other_key = [], [], 0
    for cp in received:
        if cp.get("key_id") and cp["key_id"] != fingerprint:
            other_key += 1
            continue
        message = checkpoint_message(
            at=cp["at"], last_entry=cp["last_entry"], entry_count=cp["entry_count"], head_hash=cp["head_hash"]
        )
        if not signature_valid(public_key, cp["signature"], message):
            problems.append(f"entry #{cp['last_entry']}: {_cp_name(cp)}'s signature is not valid")
            continue
        usable.append(cp)
    ids = [e["id"] for e in entries]
    first_id, last_id = (ids[0], ids[-1]) if ids else (None, None)
    present = set(ids)
    pack_last = max((at for c in checkpoints if (at := _parse_at(c.get("at"))) is not None), default=None)
    outside = 0
    for cp in sorted(usable, key=lambda c: (c["last_entry"] or 0, _parse_at(c["at"]))):
        entry_id = cp["last_entry"]
        if entry_id is None or entry_id in present:
            continue
        before_pack = pack_last is not None and _parse_at(cp["at"]) < pack_last  # signed in an earlier second
        if before_pack and last_id is not None and first_id < entry_id < last_id:
            problems.append(
                f"entry #{entry_id}: {_cp_name(cp)} signed it, but it is not in the pack's chain: it was removed"
            )
        elif before_pack and (last_id is None or entry_id > last_id):
            ends = f"ends at entry #{last_id}" if last_id is not None else "is empty"
            problems.append(
                f"entry #{entry_id}: {_cp_name(cp)} signed it at {cp['at']}, before the pack's last checkpoint, but "
                f"the pack's chain {ends}: the chain was truncated"
            )
        else:
            outside += 1
    notes = [f"{len(usable)} received checkpoints checked ({outside} outside this pack's chain)"]
    if other_key:
        notes.append(f"{other_key} received checkpoints signed by another key were not checked")
    return problems, notes, usable


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
    for cp in sorted(covered, key=lambda c: (c["last_entry"], not c.get("received"))):  # received ones first
        index, hash_ = position[cp["last_entry"]]
        if hash_ != cp["head_hash"]:
            after = f" after entry #{confirmed}, the last one a checkpoint confirms" if confirmed else ""
            return [
                f"entry #{cp['last_entry']}: its hash is not the one {_cp_name(cp)} signed: "
                f"the chain was rewritten{after}"
            ]
        confirmed = cp["last_entry"]
    anchor = max(covered, key=lambda c: c["last_entry"])
    first_count = anchor["entry_count"] - position[anchor["last_entry"]][0]
    for cp in covered:
        if first_count + position[cp["last_entry"]][0] != cp["entry_count"]:
            return [f"entry #{cp['last_entry']}: {_cp_name(cp)} counted {cp['entry_count']} entries up to it"]
    return problems


def verify_pack(
    path: str, *, key_id: str | None = None, received: list[dict] | None = None
) -> tuple[list[str], list[str]]:
    """(problems, notes) of the pack at `path`; no problems means it verifies. `received`: checkpoints received off
    the server (received_checkpoints), checked against the pack's chain as well."""
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
        if received:
            found, more, usable = verify_received(entries, checkpoints, received, public_key, fingerprint)
            problems.extend(found)
            notes.extend(more)
            signatures = {c["signature"] for c in checkpoints}
            checkpoints = checkpoints + [c for c in usable if c["signature"] not in signatures]
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
    parser.add_argument(
        "--checkpoints",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of checkpoints received off the server (syslog lines, the collector's JSON, saved e-mails, an "
        "earlier pack's checkpoints.json); may be given more than once",
    )
    args = parser.parse_args(argv)
    received = []
    for name in args.checkpoints:
        try:
            with open(name, encoding="utf-8", errors="replace") as handle:
                found = received_checkpoints(handle.read())
        except OSError as exc:
            print(f"FAILED: cannot read {name}: {exc}")
            return 1
        if not found:
            print(f"FAILED: {name} holds no checkpoint")
            return 1
        received.extend(found)
    problems, notes = verify_pack(args.pack, key_id=args.key_id, received=received)
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
