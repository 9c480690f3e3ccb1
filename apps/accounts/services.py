"""Writes on users' API tokens: create (the key is returned once) and revoke."""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiToken, User, token_hash


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a named token for `user`; returns the token and its key, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the pipeline that will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "A token name has at most 100 characters."})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": f"You already have an active token named “{name}”."})
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[: ApiToken.PREFIX_LENGTH], key_hash=token_hash(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token; only its owner or an administrator may."""
    if token.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
