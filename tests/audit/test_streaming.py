"""Every audit entry streamed to a collector: a real HTTP receiver process that is down first, then refusing, then
up (everything arrives once, in order); real UDP and TCP syslog listeners (RFC 5424); off by default."""

import json
import re
import socket

import pytest
from django.db import transaction

from apps.audit import chain, streaming
from apps.audit.chain import audit_batch
from apps.audit.checks import audit_stream_check
from apps.audit.models import AuditEntry, AuditStreamCursor
from apps.audit.streaming import destination_key, entry_dict, stream_audit
from tests.audit.conftest import tcp_syslog
from tests.factories.audit import append_entries

pytestmark = pytest.mark.django_db

RFC5424 = re.compile(
    r"^<110>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z) (?P<host>\S+) deploydesk - audit-entry "
    r"\[entry@32473 (?P<params>[^\]]*)\] (?P<json>\{.*\})$"
)


def _all_entries() -> list[dict]:
    return [entry_dict(e) for e in AuditEntry.objects.order_by("id")]


def _assert_rfc5424(message: bytes, entry: dict) -> None:
    match = RFC5424.match(message.decode())
    assert match, message
    assert json.loads(match["json"]) == entry
    assert f'id="{entry["id"]}"' in match["params"]
    assert f'hash="{entry["hash"]}"' in match["params"]


def test_the_stream_is_off_by_default(django_capture_on_commit_callbacks):
    # given no stream destination (the default)
    # when entries are appended and committed
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        append_entries(3)
    # then no stream task was enqueued, and the task itself sends nothing and keeps no cursor
    assert chain._stream_enqueue not in callbacks
    assert stream_audit() == 0
    assert not AuditStreamCursor.objects.exists()


@pytest.mark.django_db(transaction=True)  # real commits: each one enqueues the stream task, run inline
def test_a_collector_that_was_down_receives_every_entry_once_in_order(settings, receiver, monkeypatch):
    # given a stream to an HTTP collector that is down (connection refused), sent in batches of two
    settings.AUDIT_STREAM = receiver.url
    monkeypatch.setattr(streaming, "BATCH", 2)
    # when entries are written meanwhile, each committed on its own
    append_entries(3)
    # then the first commit's run failed and the cursor did not move; the next two runs waited for the schedule
    cursor = AuditStreamCursor.objects.get()
    assert (cursor.destination, cursor.last_entry, cursor.sent_count, cursor.failures) == (receiver.url, 0, 0, 1)
    assert "Connection refused" in cursor.last_error
    # when the collector is up but answers 500, more entries are written in one transaction and the catch-up runs
    receiver.start(status=500)
    with transaction.atomic(), audit_batch():
        append_entries(2, start=3)
    assert AuditStreamCursor.objects.get().failures == 1
    assert stream_audit() == 0
    # then still nothing is accepted, and the failure is recorded
    cursor = AuditStreamCursor.objects.get()
    assert (cursor.last_entry, cursor.failures) == (0, 2)
    assert "500" in cursor.last_error
    assert receiver.bodies() == []
    # when the collector accepts again and the catch-up runs, then an entry is written
    receiver.start()
    assert stream_audit() == 5
    append_entries(1, start=5)
    # then the collector received every entry exactly once, in the chain's order, each linked to the one before
    received = receiver.bodies()
    assert received == _all_entries()
    assert [b["object_repr"] for b in received] == [f"DEP-{i:05d}" for i in range(6)]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(received, received[1:], strict=False))
    cursor = AuditStreamCursor.objects.get()
    assert (cursor.last_entry, cursor.sent_count, cursor.failures, cursor.last_error) == (received[-1]["id"], 6, 0, "")
    assert cursor.failed_at is None
    # and a further run sends nothing twice
    assert stream_audit() == 0
    assert len(receiver.bodies()) == 6


def test_entries_go_to_a_udp_syslog_as_rfc5424(settings, django_capture_on_commit_callbacks):
    # given a syslog listening on UDP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(10)
        settings.AUDIT_STREAM = f"syslog+udp://127.0.0.1:{listener.getsockname()[1]}"
        # when entries are written
        with django_capture_on_commit_callbacks(execute=True):
            append_entries(3)
        datagrams = [listener.recvfrom(65535)[0] for _ in range(3)]
    # then each arrived as one RFC 5424 message, in order, and the cursor is at the last
    entries = _all_entries()
    for datagram, entry in zip(datagrams, entries, strict=True):
        _assert_rfc5424(datagram, entry)
    assert AuditStreamCursor.objects.get().last_entry == entries[-1]["id"]


def test_entries_go_to_a_tcp_syslog_framed_by_octet_counting(settings):
    # given a syslog listening on TCP, and entries written
    with tcp_syslog() as (port, received):
        settings.AUDIT_STREAM = f"syslog+tcp://127.0.0.1:{port}"
        append_entries(2)
        # when the worker streams
        sent = stream_audit()
    # then two frames "LENGTH SP MESSAGE" arrived on one connection, in order
    assert sent == 2
    data, messages = received[0], []
    while data:
        length, _, rest = data.partition(b" ")
        messages.append(rest[: int(length)])
        data = rest[int(length) :]
    entries = _all_entries()
    assert len(messages) == len(entries) == 2
    for message, entry in zip(messages, entries, strict=True):
        _assert_rfc5424(message, entry)


def test_a_bad_destination_is_recorded_not_raised(settings):
    # given a destination of an unknown kind
    settings.AUDIT_STREAM = "ftp://collector.example.org/audit"
    append_entries(1)
    # when the worker streams
    sent = stream_audit()
    # then nothing was sent and the cursor says why
    assert sent == 0
    cursor = AuditStreamCursor.objects.get()
    assert cursor.last_entry == 0
    assert cursor.last_error == (
        "DEPLOYDESK_AUDIT_STREAM must be syslog+udp://host:port, syslog+tcp://host:port or an https:// URL, "
        "not 'ftp://collector.example.org/audit'"
    )


def test_the_cursor_never_stores_a_password_of_the_destination():
    assert destination_key("https://siem:s3cret@collector.example.org:8443/in?x=1") == (
        "https://collector.example.org:8443/in?x=1"
    )


def test_a_bad_destination_fails_the_system_check(settings):
    settings.AUDIT_STREAM = "ftp://user:pw@collector.example.org/audit"
    errors = audit_stream_check(None)
    assert [(e.id, e.msg) for e in errors] == [
        (
            "audit.E002",
            "DEPLOYDESK_AUDIT_STREAM must be syslog+udp://host:port, syslog+tcp://host:port or an https:// URL, "
            "not 'ftp://collector.example.org/audit'",
        )
    ]
    settings.AUDIT_STREAM = "syslog+tcp://siem.example.org:6514"
    assert audit_stream_check(None) == []
