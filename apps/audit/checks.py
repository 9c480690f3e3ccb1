"""System checks of the audit trail: `check --deploy` fails when production has no audit signing key to sign with;
`check` fails on an audit stream destination of an unknown kind."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from apps.audit import signing
from apps.audit.streaming import SCHEMES, destination_key


@register(Tags.security, deploy=True)
def audit_signing_key_check(app_configs, **kwargs) -> list[Error]:
    """Without a key the hourly checkpoint and every audit pack would fail; say so before the first one does."""
    try:
        signing.signing_key_clear()
        signing.signing_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="audit.E001")]
    return []


@register()
def audit_stream_check(app_configs, **kwargs) -> list[Error]:
    """A stream destination the worker cannot send to would fail every minute; say so at start."""
    url = (getattr(settings, "AUDIT_STREAM", "") or "").strip()
    if url and urlsplit(url).scheme not in SCHEMES:
        return [
            Error(
                f"DEPLOYDESK_AUDIT_STREAM must be syslog+udp://host:port, syslog+tcp://host:port or an https:// URL, "
                f"not {destination_key(url)!r}",
                id="audit.E002",
            )
        ]
    return []
