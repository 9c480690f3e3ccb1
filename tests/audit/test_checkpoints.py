"""Signed checkpoints: the key, signing the head, and verify_audit_trail against them (the tamper tests)."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from apps.audit import signing
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.audit.offline.verify_pack import checkpoint_message, key_fingerprint
from apps.audit.schedules import AUDIT_SCHEDULES
from apps.audit.tasks import checkpoint_hourly
from apps.reviews.schedules import SCHEDULES
from tests.factories.audit import append_entries, rewrite_chain_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_key(settings, tmp_path):
    """A key of the test's own, from a PEM file (as production reads it)."""
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "audit.pem"
    path.write_bytes(signing.private_key_pem(key))
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    signing.signing_key_clear()
    yield key
    signing.signing_key_clear()


def _fails(capsys=None) -> str:
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_trail")
    assert info.value.returncode == 1
    return str(info.value)


def test_a_checkpoint_signs_the_head_entry_its_hash_and_the_count(fresh_key):
    # given a chain of five entries
    entries = append_entries(5)
    # when a checkpoint is made
    checkpoint = checkpoint_create(reason="manual", ship=False)
    # then it names the head, its hash and the count, signed by the configured key
    assert (checkpoint.last_entry, checkpoint.entry_count, checkpoint.head_hash) == (
        entries[-1].pk,
        5,
        entries[-1].hash,
    )
    assert checkpoint.key_id == key_fingerprint(fresh_key.public_key())
    assert checkpoint.at.microsecond == 0
    message = checkpoint_message(
        at=checkpoint.at.isoformat(), last_entry=entries[-1].pk, entry_count=5, head_hash=entries[-1].hash
    )
    fresh_key.public_key().verify(bytes.fromhex(checkpoint.signature), message)  # raises when it does not verify


def test_the_next_checkpoint_counts_on_from_the_previous_one(fresh_key):
    # given a checkpoint after three entries and two more entries
    append_entries(3)
    checkpoint_create(ship=False)
    later = append_entries(2, start=3)
    # when the next checkpoint is made
    checkpoint = checkpoint_create(ship=False)
    # then it counts all five
    assert (checkpoint.last_entry, checkpoint.entry_count) == (later[-1].pk, 5)


def test_an_empty_chain_is_signed_as_the_genesis(fresh_key):
    checkpoint = checkpoint_create(ship=False)
    assert (checkpoint.last_entry, checkpoint.entry_count, checkpoint.head_hash) == (None, 0, "0" * 64)


@pytest.mark.parametrize("form", ["pem", "base64"])
def test_the_key_can_come_from_the_environment_as_pem_or_base64(settings, form):
    # given a key in the environment variable's setting, as PEM text or the base64 of its raw 32 bytes
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    settings.AUDIT_SIGNING_KEY_FILE = ""
    text = signing.private_key_pem(key).decode() if form == "pem" else base64.b64encode(raw).decode()
    settings.AUDIT_SIGNING_KEY = text
    signing.signing_key_clear()
    try:
        # when the key id is read
        key_id = signing.public_key_id()
    finally:
        signing.signing_key_clear()
    # then it is the fingerprint of that key's public half
    assert key_id == key_fingerprint(key.public_key())


def test_without_a_key_signing_fails_clearly_and_writes_nothing(settings):
    # given production settings: no key file, no key variable, nothing generated
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_GENERATE = ""
    signing.signing_key_clear()
    append_entries(1)
    try:
        # when a checkpoint is attempted
        with pytest.raises(ImproperlyConfigured) as info:
            checkpoint_create(ship=False)
    finally:
        signing.signing_key_clear()
    # then the error says what to set, and no checkpoint was written
    assert "DEPLOYDESK_AUDIT_SIGNING_KEY_FILE" in str(info.value)
    assert "DEPLOYDESK_AUDIT_SIGNING_KEY " in str(info.value)
    assert AuditCheckpoint.objects.count() == 0


def test_a_key_that_is_not_ed25519_is_refused(settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = "bm90IGEga2V5"  # base64 of "not a key": 9 bytes, not 32
    signing.signing_key_clear()
    try:
        with pytest.raises(ImproperlyConfigured) as info:
            signing.signing_key()
    finally:
        signing.signing_key_clear()
    assert str(info.value).startswith("The audit signing key cannot be read")


def test_the_demo_key_is_generated_once_into_its_file(settings, tmp_path):
    # given no configured key but a file to generate one into
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_GENERATE = str(tmp_path / "var" / "key.pem")
    signing.signing_key_clear()
    try:
        # when the key is read twice (a restart between)
        first = signing.public_key_id()
        signing.signing_key_clear()
        second = signing.public_key_id()
    finally:
        signing.signing_key_clear()
    # then the file was made once, readable by its owner only, and the key stays the same
    assert first == second
    assert (tmp_path / "var" / "key.pem").stat().st_mode & 0o777 == 0o600


def test_the_hourly_schedule_is_registered_and_signs_a_checkpoint(fresh_key):
    # given the schedules Deploydesk registers
    name = "audit: sign a checkpoint of the audit chain"
    # then the audit checkpoint runs hourly among them
    assert SCHEDULES[name] == AUDIT_SCHEDULES[name] == ("apps.audit.tasks.checkpoint_hourly", "H", None)
    # when the task runs
    entries = append_entries(2)
    checkpoint_id = checkpoint_hourly()
    # then it signed the head
    checkpoint = AuditCheckpoint.objects.get(pk=checkpoint_id)
    assert (checkpoint.last_entry, checkpoint.entry_count, checkpoint.reason) == (entries[-1].pk, 2, "scheduled")


# --- verify_audit_trail against the checkpoints: one test per attack ---------------------------------------------


def test_verify_passes_and_counts_the_checkpoints(fresh_key, capsys):
    append_entries(4)
    checkpoint_create(ship=False)
    append_entries(2, start=4)
    checkpoint_create(ship=False)
    call_command("verify_audit_trail")
    assert capsys.readouterr().out.strip() == "OK: 6 entries verified, 2 signed checkpoints hold"


def test_an_edited_row_is_named(fresh_key):
    # given a signed chain whose third entry is then edited in the database
    entries = append_entries(5)
    checkpoint_create(ship=False)
    AuditEntry.objects.filter(pk=entries[2].pk).update(object_repr="DEP-99999")
    # when verified, then the edited entry is named
    message = _fails()
    assert f"entry #{entries[2].pk} at " in message
    assert "its content does not match its hash" in message


def test_a_deleted_tail_is_named(fresh_key):
    # given a checkpoint on the fifth entry, then the last two entries deleted
    entries = append_entries(5)
    checkpoint_create(ship=False)
    AuditEntry.objects.filter(pk__gt=entries[2].pk).delete()
    # when verified (the three remaining entries still chain correctly)
    message = _fails()
    # then the signed head that is missing is named, with where the chain now ends
    checkpoint = AuditCheckpoint.objects.get()
    assert message == (
        f"BROKEN: the audit chain breaks at entry #{entries[4].pk}: it is missing, though checkpoint "
        f"#{checkpoint.pk} signed it: the chain was truncated (it now ends at entry #{entries[2].pk})."
    )


def test_a_tail_deleted_and_replaced_by_new_entries_is_named(fresh_key):
    # given a checkpoint on the fourth entry, the last two deleted and a new one appended in their place
    entries = append_entries(4)
    checkpoint_create(ship=False)
    AuditEntry.objects.filter(pk__gt=entries[1].pk).delete()
    append_entries(1, start=50)
    # when verified, then the signed head is named as missing
    message = _fails()
    assert f"breaks at entry #{entries[3].pk}: it is missing" in message


def test_a_chain_rewritten_with_recomputed_hashes_is_named(fresh_key):
    # given checkpoints on the third and the sixth entry
    entries = append_entries(3)
    first = checkpoint_create(ship=False)
    entries += append_entries(3, start=3)
    second = checkpoint_create(ship=False)
    # when the fifth entry is edited and every hash after it recomputed (the chain verifies in itself again)
    rewrite_chain_from(entries[4].pk, object_repr="DEP-REWRITTEN")
    message = _fails()
    # then the checkpoint that no longer agrees is named, and the last entry still confirmed
    head = AuditEntry.objects.get(pk=entries[5].pk)
    assert message == (
        f"BROKEN: the audit chain breaks at entry #{head.pk} at {head.at.isoformat()} (changed "
        f"deployments.deployment 5 “DEP-00005”): its hash is not the one checkpoint #{second.pk} signed: the chain "
        f"was rewritten after entry #{first.last_entry}, the last one a checkpoint confirms."
    )


def test_an_entry_removed_and_the_chain_recomputed_is_caught_by_the_count(fresh_key):
    # given a checkpoint on the fourth entry
    entries = append_entries(4)
    checkpoint = checkpoint_create(ship=False)
    # when the second entry is deleted and the hashes after it recomputed so the head keeps the signed hash... which
    # it cannot: the head's hash changes with its predecessor, so the rewrite shows
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    rewrite_chain_from(entries[2].pk)
    # then the head is named
    assert f"breaks at entry #{entries[3].pk}" in _fails()
    assert AuditCheckpoint.objects.get().pk == checkpoint.pk


def test_a_forged_checkpoint_is_named(fresh_key):
    # given a checkpoint whose head hash is rewritten in the database to match a rewritten chain
    entries = append_entries(3)
    checkpoint = checkpoint_create(ship=False)
    rewrite_chain_from(entries[1].pk, object_repr="DEP-FORGED")
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(head_hash=AuditEntry.objects.get(pk=entries[2].pk).hash)
    # when verified, then its signature no longer holds
    message = _fails()
    assert f"breaks at entry #{entries[2].pk}" in message
    assert f"checkpoint #{checkpoint.pk}'s signature is not valid" in message


def test_a_checkpoint_signed_by_another_key_is_named(fresh_key, settings, tmp_path):
    # given a checkpoint signed with the configured key, then the key replaced
    entries = append_entries(2)
    checkpoint = checkpoint_create(ship=False)
    other = tmp_path / "other.pem"
    other.write_bytes(signing.private_key_pem(Ed25519PrivateKey.generate()))
    settings.AUDIT_SIGNING_KEY_FILE = str(other)
    signing.signing_key_clear()
    # when verified, then the checkpoint is refused
    assert f"breaks at entry #{entries[1].pk}" in (message := _fails())
    assert f"checkpoint #{checkpoint.pk}'s signature is not valid" in message


def test_the_audit_page_verifies_against_the_checkpoints(fresh_key, world):
    from tests.reports.helpers import client_for

    # given a checkpoint of the world's chain, then its tail deleted
    checkpoint = checkpoint_create(ship=False)
    AuditEntry.objects.filter(pk=checkpoint.last_entry).delete()
    # when the auditor presses Verify
    page = client_for(world.users["auditor"]).post("/audit/", follow=True)
    # then the page names the missing entry
    assert f"The audit chain is broken at entry #{checkpoint.last_entry}: it is missing" in page.content.decode()


def test_the_key_command_generates_a_key_file_and_shows_its_id(settings, tmp_path, capsys):
    # given no key yet
    path = tmp_path / "prod.pem"
    # when one is generated, then configured and shown
    call_command("audit_signing_key", "--generate", str(path))
    written = capsys.readouterr().out
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    signing.signing_key_clear()
    try:
        call_command("audit_signing_key")
        shown = capsys.readouterr().out
        key_id = signing.public_key_id()
    finally:
        signing.signing_key_clear()
    # then the file is private, and both outputs name the same key id; the public key is printed in PEM
    assert path.stat().st_mode & 0o777 == 0o600
    assert written.strip() == f"Wrote {path}; key id {key_id}"
    assert shown.startswith(f"key id {key_id}\n-----BEGIN PUBLIC KEY-----\n")
    # and it never overwrites a key
    with pytest.raises(CommandError) as info:
        call_command("audit_signing_key", "--generate", str(path))
    assert str(info.value) == f"Cannot create {path}: File exists."


def test_check_deploy_names_a_missing_signing_key(settings):
    # given production settings without a key
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_GENERATE = ""
    try:
        # when the deployment checks run, then they fail naming the variables to set
        with pytest.raises(SystemCheckError) as info:
            call_command("check", "--deploy", "--tag", "security")
    finally:
        signing.signing_key_clear()
    assert "(audit.E001) No audit signing key: set DEPLOYDESK_AUDIT_SIGNING_KEY_FILE" in str(info.value)
