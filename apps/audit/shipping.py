"""Checkpoints leave the server: to a syslog (RFC 5424 over UDP or TCP), an HTTPS endpoint, the auditors' mailboxes.

Destinations are settings (`DEPLOYDESK_AUDIT_SYSLOG=udp://host:514`, `DEPLOYDESK_AUDIT_CHECKPOINT_URL`,
`DEPLOYDESK_AUDIT_CHECKPOINT_EMAIL=true`). Sending runs in the worker after the checkpoint commits; a destination
that fails is retried later (backoff doubling from a minute, `AUDIT_SHIP_ATTEMPTS` tries), the others are not sent
twice. The auditors' message is queued in the mail outbox (apps/core/mail_outbox.py) with the delivery's record, and
leaves from there. `AuditCheckpoint.deliveries` records, per destination, when it was sent or the last error.
"""

import datetime as dt
import json
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from apps.audit.models import AuditCheckpoint
from apps.core.mail_outbox import mail_queue

SYSLOG_PRI = 13 * 8 + 6  # facility 13 "log audit", severity 6 "informational"
SD_ID = "checkpoint@32473"  # 32473: the private enterprise number RFC 5612 reserves for documentation
TASK = "apps.audit.shipping.checkpoint_ship"


def destinations() -> list[str]:
    """The configured destinations, in sending order."""
    found = []
    if getattr(settings, "AUDIT_SYSLOG", ""):
        found.append("syslog")
    if getattr(settings, "AUDIT_CHECKPOINT_URL", ""):
        found.append("https")
    if getattr(settings, "AUDIT_CHECKPOINT_EMAIL", False):
        found.append("email")
    return found


def _sd_escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_frame(*, at: dt.datetime, msgid: str, sd_id: str, params: dict, data: dict) -> bytes:
    """One RFC 5424 message: `params` as the structured data element `sd_id`, `data` as JSON in the message part
    (shared by the checkpoints and the audit stream, apps.audit.streaming)."""
    timestamp = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ")
    hostname = (socket.gethostname() or "-")[:255].replace(" ", "-")
    sd = f"[{sd_id} " + " ".join(f'{k}="{_sd_escape(v)}"' for k, v in params.items()) + "]"
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return f"<{SYSLOG_PRI}>1 {timestamp} {hostname} deploydesk - {msgid} {sd} {body}".encode()


def syslog_message(checkpoint: AuditCheckpoint) -> bytes:
    """The RFC 5424 message: the checkpoint as structured data, and as JSON in the message part."""
    data = checkpoint.signed_dict()
    params = {
        "id": data["id"],
        "lastEntry": data["last_entry"] if data["last_entry"] is not None else "",
        "entryCount": data["entry_count"],
        "headHash": data["head_hash"],
        "keyId": data["key_id"],
        "signature": data["signature"],
    }
    return syslog_frame(
        at=checkpoint.at.replace(microsecond=0), msgid="audit-checkpoint", sd_id=SD_ID, params=params, data=data
    )


def syslog_send(url: str, message: bytes, *, timeout: float = 10) -> None:
    """Send one message to `udp://host:port` or `tcp://host:port` (TCP framed by octet counting, RFC 6587)."""
    syslog_send_all(url, [message], timeout=timeout)


def syslog_send_all(url: str, messages: list[bytes], *, timeout: float = 10) -> None:
    """Send messages in order to `udp://host:port` (a datagram each) or `tcp://host:port` (one connection, each
    framed by octet counting, RFC 6587)."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 514
    if parts.scheme == "udp":
        with socket.socket(socket.AF_INET6 if ":" in (host or "") else socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for message in messages:
                sock.sendto(message, (host, port))
    elif parts.scheme == "tcp":
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"".join(str(len(message)).encode() + b" " + message for message in messages))
    else:
        raise ValueError(f"DEPLOYDESK_AUDIT_SYSLOG must be udp://host:port or tcp://host:port, not {url!r}")


def http_post(url: str, body: bytes, *, content_type: str = "application/json", timeout: float = 10) -> None:
    """POST `body` to an http(s) URL; anything but a 2xx answer is a failure (an HTTPError, an OSError)."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"the endpoint must be an https:// URL, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST", headers={"Content-Type": content_type, "User-Agent": "Deploydesk"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the URL is a setting)
        if not 200 <= response.status < 300:
            raise OSError(f"the endpoint answered {response.status}")


def http_send(url: str, checkpoint: AuditCheckpoint, *, timeout: float = 10) -> None:
    """POST the checkpoint as JSON; anything but a 2xx answer is a failure."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"DEPLOYDESK_AUDIT_CHECKPOINT_URL must be an https:// URL, not {url!r}")
    http_post(url, json.dumps(checkpoint.signed_dict()).encode(), timeout=timeout)


def auditor_emails() -> list[str]:
    group = getattr(settings, "AUDIT_AUDITOR_GROUP", "Auditor")
    users = get_user_model().objects.filter(is_active=True, groups__name=group).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def email_send(checkpoint: AuditCheckpoint) -> None:
    """Queue the checkpoint to the auditors in the mail outbox, in the transaction that records it as sent there;
    the outbox sends it (and retries it while the mail server is down)."""
    recipients = auditor_emails()
    if not recipients:
        raise ValueError("no active auditor has an e-mail address")
    data = checkpoint.signed_dict()
    body = (
        "Deploydesk signed the head of its audit trail. Keep this message: it lets you check later, offline, that\n"
        "the trail still reaches this entry with this hash (python verify_pack.py pack.zip --key-id KEY).\n\n"
        f"Checkpoint #{data['id']} at {data['at']}\n"
        f"Last entry: #{data['last_entry']} (entry {data['entry_count']} of the chain)\n"
        f"Head hash: {data['head_hash']}\n"
        f"Signing key (SHA-256 fingerprint): {data['key_id']}\n"
        f"Ed25519 signature: {data['signature']}\n\n"
        f"{json.dumps(data, sort_keys=True)}\n"
    )
    mail_queue(
        subject=f"Deploydesk audit checkpoint #{data['id']}", body=body, to=recipients, key=f"checkpoint-{data['id']}"
    )


def _send(destination: str, checkpoint: AuditCheckpoint) -> None:
    if destination == "syslog":
        syslog_send(settings.AUDIT_SYSLOG, syslog_message(checkpoint))
    elif destination == "https":
        http_send(settings.AUDIT_CHECKPOINT_URL, checkpoint)
    else:
        email_send(checkpoint)


def checkpoint_ship(checkpoint_id: int) -> dict:
    """Task: send the checkpoint to each configured destination it has not reached yet; schedule a retry of the ones
    that failed. Idempotent: a destination already sent is skipped. Returns the deliveries."""
    with transaction.atomic():
        checkpoint = AuditCheckpoint.objects.select_for_update().filter(pk=checkpoint_id).first()
        if checkpoint is None:
            return {}
        deliveries = dict(checkpoint.deliveries)
        pending = [d for d in destinations() if not deliveries.get(d, {}).get("sent_at")]
        for destination in pending:
            state = deliveries.get(destination, {})
            attempts = state.get("attempts", 0) + 1
            try:
                _send(destination, checkpoint)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                deliveries[destination] = {"attempts": attempts, "error": str(exc)[:300]}
            else:
                deliveries[destination] = {"attempts": attempts, "sent_at": timezone.now().isoformat()}
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(deliveries=deliveries)
    failed = [d for d in pending if "error" in deliveries[d]]
    attempts = max((deliveries[d]["attempts"] for d in failed), default=0)
    if failed and attempts < getattr(settings, "AUDIT_SHIP_ATTEMPTS", 8):
        Schedule.objects.create(
            name=f"audit: ship checkpoint {checkpoint_id} (attempt {attempts + 1})",
            func=TASK,
            args=str(checkpoint_id),
            schedule_type=Schedule.ONCE,
            next_run=timezone.now() + timedelta(minutes=2 ** (attempts - 1)),
        )
    return deliveries


def checkpoint_ship_later(*, checkpoint: AuditCheckpoint) -> None:
    """Enqueue the shipping after the checkpoint commits (nothing to do without a destination)."""
    if destinations():
        pk = checkpoint.pk
        transaction.on_commit(lambda: async_task(TASK, pk, group="audit-checkpoints"))


def checkpoints_ship_pending() -> int:
    """Re-enqueue checkpoints of the last week that some destination has not received, oldest first, retries spent
    or not: the hourly job's catch-up after an outage longer than the retries."""
    wanted = destinations()
    if not wanted:
        return 0
    since = timezone.now() - timedelta(days=7)
    count = 0
    for checkpoint in AuditCheckpoint.objects.filter(at__gte=since).order_by("id").only("pk", "deliveries"):
        if any(not checkpoint.deliveries.get(d, {}).get("sent_at") for d in wanted):
            async_task(TASK, checkpoint.pk, group="audit-checkpoints")
            count += 1
    return count
