"""App config for single sign-on (OpenID Connect) and LDAP sign-in."""

from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "apps.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from apps.sso import checks  # noqa: F401  (registers the configuration checks)
