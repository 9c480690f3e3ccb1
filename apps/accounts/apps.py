"""App config for users and API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Users and tokens"

    def ready(self) -> None:
        from apps.accounts.api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
