"""The audit signing key (Ed25519): where it comes from, its public half and fingerprint, and signing.

Production reads the private key from `DEPLOYDESK_AUDIT_SIGNING_KEY_FILE` (a PEM file) or `DEPLOYDESK_AUDIT_SIGNING_KEY`
(PEM text, or the 32-byte raw key in base64) and refuses to sign without one. Development and the demo generate a
key once into `AUDIT_SIGNING_KEY_GENERATE` (under the gitignored var/). The signed formats live in the offline
verifier (apps/audit/offline/verify_pack.py), which the auditor runs on their own machine, so both read the same.
"""

import base64
import binascii
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.audit.offline.verify_pack import checkpoint_message, key_fingerprint, manifest_message, signature_valid

__all__ = [
    "checkpoint_message",
    "key_fingerprint",
    "manifest_message",
    "public_key",
    "public_key_id",
    "public_key_pem",
    "sign",
    "signature_valid",
    "signing_key",
    "signing_key_clear",
]

MISSING = (
    "No audit signing key: set DEPLOYDESK_AUDIT_SIGNING_KEY_FILE to an Ed25519 private key in PEM, or "
    "DEPLOYDESK_AUDIT_SIGNING_KEY to the PEM text or the base64 of the 32-byte raw key "
    "(make one with `python manage.py audit_signing_key --generate FILE`)."
)


def _parse(data: bytes) -> Ed25519PrivateKey:
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(text, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ImproperlyConfigured(f"The audit signing key cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("The audit signing key must be an Ed25519 private key.")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _generate_into(path: Path) -> Ed25519PrivateKey:
    """Create the demo key file once (0600); a concurrent process that lost the race reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse(path.read_bytes())
    with os.fdopen(fd, "wb") as out:
        out.write(private_key_pem(key))
    return key


@functools.cache
def signing_key() -> Ed25519PrivateKey:
    """The private key; ImproperlyConfigured, saying what to set, when none is configured."""
    key_file = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    if key_file:
        try:
            return _parse(Path(key_file).read_bytes())
        except OSError as exc:
            raise ImproperlyConfigured(f"The audit signing key file {key_file} cannot be read: {exc}") from exc
    inline = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if inline:
        return _parse(inline.encode())
    generate = getattr(settings, "AUDIT_SIGNING_KEY_GENERATE", "")
    if generate:
        path = Path(generate)
        return _parse(path.read_bytes()) if path.exists() else _generate_into(path)
    raise ImproperlyConfigured(MISSING)


def signing_key_clear() -> None:
    """Forget the loaded key (tests that change the key settings)."""
    signing_key.cache_clear()


def signing_key_configured() -> bool:
    return bool(
        getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
        or getattr(settings, "AUDIT_SIGNING_KEY", "")
        or getattr(settings, "AUDIT_SIGNING_KEY_GENERATE", "")
    )


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> bytes:
    return public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_id() -> str:
    return key_fingerprint(public_key())


def sign(message: bytes) -> str:
    """Ed25519 signature of `message`, hex."""
    return signing_key().sign(message).hex()
