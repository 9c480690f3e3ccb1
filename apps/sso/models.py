"""The link between a Deploydesk user and their identity at an identity provider."""

from django.conf import settings
from django.db import models


class ExternalIdentity(models.Model):
    """A user as an identity provider knows them: OpenID Connect's (issuer, subject) or LDAP's (server, DN).

    Users are found by this link, never by e-mail or username alone, so an account at the provider cannot take
    over a local account that happens to share its name."""

    class Kind(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        LDAP = "ldap", "LDAP"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    issuer = models.CharField(max_length=255, help_text="The OpenID issuer, or the LDAP server URI.")
    subject = models.CharField(max_length=255, help_text="The `sub` claim, or the user's DN.")
    roles = models.JSONField(default=list, blank=True, help_text="The roles the provider gave at the last sign-in.")
    first_login_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "external identity"
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["kind", "issuer", "subject"], name="sso_identity_unique_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} at {self.issuer}"
