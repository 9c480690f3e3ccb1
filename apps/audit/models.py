"""The tamper-evident audit log: every change to every record, each entry hashed and chained to the previous."""

from django.conf import settings
from django.db import models

# The columns of an audit entry that leave the server, in the audit-trail export's order (its header says `actor` for
# `actor_name`); the API adds the actor's id after `at`.
AUDIT_ENTRY_COLUMNS = (
    "id",
    "at",
    "actor_name",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "service_id",
    "hash",
    "prev_hash",
)


class AuditEntry(models.Model):
    """One change to one record: who, when, through which channel, what changed; `hash` chains to the previous."""

    at = models.DateTimeField(db_index=True)
    # the id the entry's hash covers, kept as it was written: no constraint, and deleting the user changes nothing
    # here (a SET NULL would rewrite hashed entries and break the chain); `actor_name` says who it was
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=10)
    action = models.CharField(max_length=20)  # created, changed, deleted, transition, ...
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    service_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="Scopes the entry to a service."
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "reports_auditentry"  # created by the reports app, where the chain began; never copied
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        permissions = [("view_audit", "Can view and verify the audit trail")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head: entry `last_entry` is the `entry_count`-th and has hash `head_hash`.

    `signature` is Ed25519 over `apps.audit.signing.checkpoint_message(...)` by the key whose public-key fingerprint is
    `key_id`. A copy leaves the server (syslog, HTTPS, e-mail), so whoever rewrites or truncates the database cannot
    also rewrite what the checkpoints already said. `last_entry` is an id, not a foreign key: an archived entry
    (`audit_archive`) leaves the table but its checkpoints stay."""

    at = models.DateTimeField(db_index=True)
    last_entry = models.BigIntegerField(null=True, blank=True, help_text="Id of the chain's head; empty chain: none.")
    entry_count = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=128, help_text="Ed25519 signature, hex.")
    key_id = models.CharField(max_length=64, help_text="SHA-256 fingerprint of the public key, hex.")
    reason = models.CharField(max_length=20, default="scheduled")  # scheduled, audit-pack, archive, manual
    deliveries = models.JSONField(default=dict, blank=True, help_text="Destination → sent time or last error.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.pk} at entry #{self.last_entry} ({self.entry_count} entries)"

    def signed_dict(self) -> dict:
        """The checkpoint as it is shipped and packed: everything its signature covers, and the signature."""
        return {
            "id": self.pk,
            "at": self.at.isoformat(),
            "last_entry": self.last_entry,
            "entry_count": self.entry_count,
            "head_hash": self.head_hash,
            "signature": self.signature,
            "key_id": self.key_id,
        }


class AuditArchive(models.Model):
    """Entries moved out of the table by `audit_archive`: a signed JSON-lines file of entries `first_entry` to
    `last_entry`, the chain's positions `start_count`+1 … `start_count`+`entry_count`. `first_prev_hash` links it to
    the archive before (or the genesis), `last_hash` to the first entry left in the table."""

    created_at = models.DateTimeField()
    before = models.DateTimeField(help_text="Entries written before this time were archived.")
    first_entry = models.BigIntegerField()
    last_entry = models.BigIntegerField()
    start_count = models.BigIntegerField()
    entry_count = models.BigIntegerField()
    first_prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["first_entry"]

    def __str__(self) -> str:
        return f"archive of entries #{self.first_entry}–#{self.last_entry}"

    @classmethod
    def totals(cls) -> tuple[int, int, str]:
        """(entries archived, last archived id or 0, last archived hash or the genesis)."""
        last = cls.objects.order_by("-last_entry").first()
        if last is None:
            return 0, 0, "0" * 64
        return last.start_count + last.entry_count, last.last_entry, last.last_hash


class AuditStreamCursor(models.Model):
    """How far the audit stream reached a destination (`DEPLOYDESK_AUDIT_STREAM`): every entry up to `last_entry`
    was accepted by the collector, in id order. The stream task locks this row while it sends, so two workers never
    send the same entries; a failure leaves the cursor where it was and the next run resumes from it."""

    destination = models.CharField(max_length=500, unique=True)
    last_entry = models.BigIntegerField(default=0, help_text="Id of the last entry the collector accepted.")
    sent_count = models.BigIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Last failure; empty after a success.")
    failures = models.PositiveIntegerField(default=0, help_text="Failures in a row.")
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["destination"]

    def __str__(self) -> str:
        return f"audit stream to {self.destination} at entry #{self.last_entry}"
