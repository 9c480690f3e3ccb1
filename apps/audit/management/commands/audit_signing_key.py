"""`manage.py audit_signing_key`: show the audit signing key's id and public key, or generate a new private key file."""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from apps.audit import signing


class Command(BaseCommand):
    help = (
        "Print the audit signing key's id (SHA-256 fingerprint) and public key in PEM, for the auditors to keep; "
        "with --generate FILE, write a new Ed25519 private key there (mode 0600) for DEPLOYDESK_AUDIT_SIGNING_KEY_FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", metavar="FILE", help="write a new private key to FILE (never overwrites)")

    def handle(self, *args, generate=None, **options):
        if generate:
            path = Path(generate)
            key = Ed25519PrivateKey.generate()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as exc:
                raise CommandError(f"Cannot create {path}: {exc.strerror}.") from exc
            with os.fdopen(fd, "wb") as out:
                out.write(signing.private_key_pem(key))
            self.stdout.write(f"Wrote {path}; key id {signing.key_fingerprint(key.public_key())}")
            return
        try:
            self.stdout.write(f"key id {signing.public_key_id()}")
            self.stdout.write(signing.public_key_pem().decode().rstrip())
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
