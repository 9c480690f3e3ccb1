"""Users and named API tokens stored hashed."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person or a service account (a pipeline) using Deploydesk."""

    is_service_account = models.BooleanField(
        default=False, help_text="A program (e.g. a CI/CD pipeline) rather than a person; it signs in with tokens only."
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_names(self) -> list[str]:
        return sorted(g.name for g in self.groups.all())


def token_hash(key: str) -> str:
    """Tokens are random and long, so a plain SHA-256 keyed with the secret key is enough to store them."""
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


class ApiToken(models.Model):
    """A named token for the API; only its hash is stored, the key is shown once when it is created."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=models.Q(revoked_at__isnull=True), name="unique_active_token_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, token_hash(key))


class NotificationPreference(models.Model):
    """A person's choice to receive, or not, the e-mails of one notice kind (apps/accounts/notices.py); no row
    means the default: sent. Mandatory kinds are sent whatever is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=40)
    email = models.BooleanField(default=True, help_text="Send these notices by e-mail.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_notification_pref")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.email else 'off'}"
