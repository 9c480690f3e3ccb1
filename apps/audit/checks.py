"""System checks of the audit trail: `check --deploy` fails when production has no audit signing key to sign with."""

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from apps.audit import signing


@register(Tags.security, deploy=True)
def audit_signing_key_check(app_configs, **kwargs) -> list[Error]:
    """Without a key the hourly checkpoint and every audit pack would fail; say so before the first one does."""
    try:
        signing.signing_key_clear()
        signing.signing_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="audit.E001")]
    return []
