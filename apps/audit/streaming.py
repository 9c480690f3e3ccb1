"""Every audit entry streamed, in order, to a SIEM's collector: a syslog (RFC 5424 over UDP or TCP) or an HTTP(S) URL.

`DEPLOYDESK_AUDIT_STREAM` chooses the destination (`syslog+udp://host:514`, `syslog+tcp://host:514`,
`https://collector/...`; off when empty). The chain enqueues `apps.audit.tasks.stream_audit` after each commit that
appended entries, and a schedule runs it every minute as the catch-up. The task locks the destination's
`AuditStreamCursor`, sends the entries after it in id order, in batches, and moves the cursor past a batch only once
the collector accepted it: a collector that is down loses nothing, the next run resumes where the cursor stopped.
The sending itself is the checkpoints' (apps.audit.shipping).

Each entry is sent with its id, `prev_hash` and `hash` and every field its hash covers, so the collector can
recompute the chain. Over HTTP a batch is one POST of JSON lines (`application/x-ndjson`, one entry a line) and a
2xx answer accepts the whole batch; over syslog each entry is one message.
"""

import json
import urllib.error
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.chain import entry_fields
from apps.audit.models import AuditEntry, AuditStreamCursor
from apps.audit.shipping import http_post, syslog_frame, syslog_send_all

SD_ID = "entry@32473"  # 32473: the private enterprise number RFC 5612 reserves for documentation
BATCH = 200
SCHEMES = ("syslog+udp", "syslog+tcp", "https", "http")
RETRY_PAUSE_SECONDS = 60  # after a failure, runs enqueued by new entries wait this long; the schedule retries


def stream_destination() -> str:
    return (getattr(settings, "AUDIT_STREAM", "") or "").strip()


def destination_key(url: str) -> str:
    """The cursor's name for a destination: the URL without any user or password in it."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def entry_dict(entry: AuditEntry) -> dict:
    """The entry as it is streamed: its id and chain links, and every field its hash covers."""
    return {"id": entry.pk, "prev_hash": entry.prev_hash, "hash": entry.hash, **entry_fields(entry)}


def syslog_entry_message(entry: AuditEntry) -> bytes:
    params = {
        "id": entry.pk,
        "action": entry.action,
        "objectType": entry.object_type,
        "objectId": entry.object_id,
        "actor": entry.actor_name,
        "channel": entry.channel,
        "hash": entry.hash,
    }
    return syslog_frame(at=entry.at, msgid="audit-entry", sd_id=SD_ID, params=params, data=entry_dict(entry))


def stream_send(url: str, entries: list[AuditEntry]) -> None:
    """Send a batch; returns once the collector accepted all of it, raises otherwise."""
    scheme = urlsplit(url).scheme
    if scheme in ("syslog+udp", "syslog+tcp"):
        syslog_send_all(url.replace("syslog+", "", 1), [syslog_entry_message(e) for e in entries])
    elif scheme in ("https", "http"):
        lines = b"".join(json.dumps(entry_dict(e), sort_keys=True).encode() + b"\n" for e in entries)
        http_post(url, lines, content_type="application/x-ndjson")
    else:
        raise ValueError(
            "DEPLOYDESK_AUDIT_STREAM must be syslog+udp://host:port, syslog+tcp://host:port or an https:// URL, "
            f"not {destination_key(url)!r}"
        )


def _cursor_locked(key: str) -> AuditStreamCursor | None:
    """The destination's cursor, locked for this transaction; None while another worker holds it (PostgreSQL)."""
    AuditStreamCursor.objects.get_or_create(destination=key)
    return AuditStreamCursor.objects.select_for_update(skip_locked=True).filter(destination=key).first()


def stream_audit(trigger: str = "schedule") -> int:
    """Task: send the entries the destination has not accepted yet, in id order, batch by batch, each batch in its
    own transaction holding the cursor's lock. Stops at the first failure (recorded on the cursor) and leaves the
    rest to the next run. A run enqueued by new entries (`trigger="append"`) does nothing for a minute after a
    failure, so a down collector is not retried at every write. Returns the number of entries sent."""
    url = stream_destination()
    if not url:
        return 0
    key = destination_key(url)
    sent = 0
    while True:
        with transaction.atomic():
            cursor = _cursor_locked(key)
            if cursor is None:
                return sent  # another run is streaming: it sends these entries too
            now = timezone.now()
            if (
                trigger == "append"
                and cursor.failed_at
                and (now - cursor.failed_at).total_seconds() < RETRY_PAUSE_SECONDS
            ):
                return sent
            entries = list(AuditEntry.objects.filter(id__gt=cursor.last_entry).order_by("id")[:BATCH])
            if not entries:
                return sent
            try:
                stream_send(url, entries)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                AuditStreamCursor.objects.filter(pk=cursor.pk).update(
                    failed_at=now, failures=cursor.failures + 1, last_error=str(exc)[:300]
                )
                return sent
            AuditStreamCursor.objects.filter(pk=cursor.pk).update(
                last_entry=entries[-1].pk,
                sent_count=cursor.sent_count + len(entries),
                sent_at=now,
                failed_at=None,
                failures=0,
                last_error="",
            )
            sent += len(entries)
        if len(entries) < BATCH:
            return sent
