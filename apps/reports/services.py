"""Writes of the reports: the per-user secret calendar feed keys."""

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.reports.models import CalendarFeedToken, feed_key_hash


@transaction.atomic
def calendar_feed_token_rotate(*, user) -> tuple[CalendarFeedToken, str]:
    """Create the user's feed key, or replace it (the old feed URL stops working). Returns the key once."""
    if not user.is_authenticated:
        raise ValidationError("Sign in to create a calendar feed.")
    key = secrets.token_urlsafe(32)
    token, _ = CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"key_hash": feed_key_hash(key), "prefix": key[:8], "last_used_at": None}
    )
    return token, key


def calendar_feed_token_revoke(*, user) -> bool:
    """Delete the user's feed key; the feed URL answers 404 from now on."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(*, key: str):
    """The active user a feed key belongs to, or None; records when the feed was last read (to the hour)."""
    if not key or len(key) > 100:
        return None
    token = CalendarFeedToken.objects.select_related("user").filter(key_hash=feed_key_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(hours=1):
        CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
