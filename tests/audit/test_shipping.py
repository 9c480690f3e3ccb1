"""Checkpoints leave the server: a real syslog listener (UDP and TCP), a real HTTP receiver process (the `receiver`
fixture of tests/audit/conftest.py), e-mail."""

import json
import re
import socket

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail
from django_q.models import Schedule

from apps.audit import signing
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditCheckpoint
from apps.audit.offline.verify_pack import checkpoint_message
from apps.audit.shipping import checkpoint_ship
from apps.audit.tasks import checkpoint_hourly
from tests.audit.conftest import tcp_syslog
from tests.factories.accounts import UserFactory
from tests.factories.audit import append_entries

pytestmark = pytest.mark.django_db

RFC5424 = re.compile(
    r"^<110>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (?P<host>\S+) deploydesk - audit-checkpoint "
    r"\[checkpoint@32473 (?P<params>[^\]]*)\] (?P<json>\{.*\})$"
)


@pytest.fixture(autouse=True)
def _key(settings, tmp_path):
    path = tmp_path / "audit.pem"
    path.write_bytes(signing.private_key_pem(Ed25519PrivateKey.generate()))
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    settings.AUDIT_SYSLOG = ""
    settings.AUDIT_CHECKPOINT_URL = ""
    settings.AUDIT_CHECKPOINT_EMAIL = False
    signing.signing_key_clear()
    yield
    signing.signing_key_clear()


def _assert_signed(message: str, checkpoint: AuditCheckpoint) -> None:
    match = RFC5424.match(message)
    assert match, message
    data = json.loads(match["json"])
    assert data == checkpoint.signed_dict()
    assert f'headHash="{checkpoint.head_hash}"' in match["params"]
    assert f'signature="{checkpoint.signature}"' in match["params"]
    signing.public_key().verify(
        bytes.fromhex(data["signature"]),
        checkpoint_message(
            at=data["at"], last_entry=data["last_entry"], entry_count=data["entry_count"], head_hash=data["head_hash"]
        ),
    )


def test_a_checkpoint_goes_to_a_udp_syslog_as_rfc5424(settings, django_capture_on_commit_callbacks):
    # given a syslog listening on UDP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(10)
        settings.AUDIT_SYSLOG = f"udp://127.0.0.1:{listener.getsockname()[1]}"
        append_entries(3)
        # when a checkpoint is made (and shipped by the worker once it commits)
        with django_capture_on_commit_callbacks(execute=True):
            checkpoint = checkpoint_create()
        datagram, _ = listener.recvfrom(65535)
    # then the syslog received the signed checkpoint, and the delivery is recorded
    _assert_signed(datagram.decode(), checkpoint)
    checkpoint.refresh_from_db()
    assert checkpoint.deliveries["syslog"]["attempts"] == 1
    assert "sent_at" in checkpoint.deliveries["syslog"]


def test_a_checkpoint_goes_to_a_tcp_syslog_framed_by_octet_counting(settings):
    # given a syslog listening on TCP
    with tcp_syslog() as (port, received):
        settings.AUDIT_SYSLOG = f"tcp://127.0.0.1:{port}"
        append_entries(2)
        checkpoint = checkpoint_create(ship=False)
        # when the worker ships it
        deliveries = checkpoint_ship(checkpoint.pk)
    # then one frame "LENGTH SP MESSAGE" arrived
    length, _, message = received[0].partition(b" ")
    assert int(length) == len(message)
    _assert_signed(message.decode(), checkpoint)
    assert "sent_at" in deliveries["syslog"]


def test_a_checkpoint_goes_to_an_https_endpoint_and_a_failed_delivery_is_retried(settings, receiver):
    # given an endpoint that is down, and a syslog that works
    settings.AUDIT_CHECKPOINT_URL = receiver.url
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(10)
        settings.AUDIT_SYSLOG = f"udp://127.0.0.1:{listener.getsockname()[1]}"
        append_entries(2)
        checkpoint = checkpoint_create(ship=False)
        # when the worker ships it
        first = checkpoint_ship(checkpoint.pk)
        listener.recvfrom(65535)
        # then the syslog has it, the endpoint's failure is recorded and a retry is scheduled
        assert "sent_at" in first["syslog"]
        assert first["https"]["attempts"] == 1
        assert "Connection refused" in first["https"]["error"]
        retry = Schedule.objects.get(func="apps.audit.shipping.checkpoint_ship")
        assert (retry.args, retry.schedule_type) == (str(checkpoint.pk), Schedule.ONCE)
        # when the endpoint is back and the retry runs
        receiver.start()
        second = checkpoint_ship(checkpoint.pk)
        # then the endpoint received the checkpoint once, and the syslog was not sent again
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):
            listener.recvfrom(65535)
    assert receiver.bodies() == [checkpoint.signed_dict()]
    assert second["https"]["attempts"] == 2
    assert "sent_at" in second["https"]
    assert second["syslog"] == first["syslog"]
    assert Schedule.objects.filter(func="apps.audit.shipping.checkpoint_ship").count() == 1  # no further retry


def test_a_checkpoint_is_mailed_to_the_auditors(settings, django_capture_on_commit_callbacks):
    # given two auditors (one without an address) and a manager
    settings.AUDIT_CHECKPOINT_EMAIL = True
    UserFactory(username="aud1", email="aud1@example.org", roles=["auditor"])
    UserFactory(username="aud2", email="", roles=["auditor"])
    UserFactory(username="boss", email="boss@example.org", roles=["manager"])
    append_entries(1)
    checkpoint = checkpoint_create(ship=False)
    # when the worker ships it (the message leaves the mail outbox after commit)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint_ship(checkpoint.pk)
    # then the auditor with an address got it, with the head, the hash, the key and the signature
    assert [m.to for m in mail.outbox] == [["aud1@example.org"]]
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == f"Deploydesk audit checkpoint #{checkpoint.pk}"
    for value in (checkpoint.head_hash, checkpoint.key_id, checkpoint.signature, f"#{checkpoint.last_entry}"):
        assert value in body


def test_shipping_twice_sends_nothing_twice(settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EMAIL = True
    UserFactory(username="aud1", email="aud1@example.org", roles=["auditor"])
    checkpoint = checkpoint_create(ship=False)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint_ship(checkpoint.pk)
        checkpoint_ship(checkpoint.pk)
    assert len(mail.outbox) == 1


def test_a_bad_syslog_url_is_recorded_not_raised(settings):
    settings.AUDIT_SYSLOG = "http://127.0.0.1:514"
    checkpoint = checkpoint_create(ship=False)
    deliveries = checkpoint_ship(checkpoint.pk)
    assert deliveries["syslog"]["error"] == (
        "DEPLOYDESK_AUDIT_SYSLOG must be udp://host:port or tcp://host:port, not 'http://127.0.0.1:514'"
    )
    assert Schedule.objects.filter(func="apps.audit.shipping.checkpoint_ship").count() == 1


def test_the_hourly_job_catches_up_after_an_outage_in_order(settings, receiver, django_capture_on_commit_callbacks):
    # given two checkpoints made while the endpoint was down (their retries spent)
    settings.AUDIT_CHECKPOINT_URL = receiver.url
    settings.AUDIT_SHIP_ATTEMPTS = 1
    append_entries(1)
    with django_capture_on_commit_callbacks(execute=True):
        down = [checkpoint_create(), checkpoint_create()]
    assert [AuditCheckpoint.objects.get(pk=c.pk).deliveries["https"]["attempts"] for c in down] == [1, 1]
    assert not Schedule.objects.filter(func="apps.audit.shipping.checkpoint_ship").exists()
    # when the endpoint is back and the hourly job runs
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        new_id = checkpoint_hourly()
    # then the endpoint received every checkpoint once, oldest first
    assert [b["id"] for b in receiver.bodies()] == [down[0].pk, down[1].pk, new_id]
